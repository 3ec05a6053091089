"""The Recognize side of one ``POST /v1/events``: starts the recognition once the metadata says
SpeechRecognizer.Recognize, hands it the audio count as the body grows, checks the whole body
as CIC would, and encodes the answer's parts in their order."""

from __future__ import annotations

import secrets

from clova_client.protocol.multipart import attachment_part, encode_directive_part

from .connections import Connection
from .downchannel import CLOSE
from .intake import EventIntake, EventRejected
from .records import RecordedEvent
from .state import MockState
from .voice import RECOGNIZE, Item, Recognition


class Recognizing:
    """One events request, as far as a Recognize in it goes."""

    def __init__(self, state: MockState, device: str, connection: Connection) -> None:
        self.state = state
        self.device = device
        self.connection = connection
        self.recognition: Recognition | None = None
        self.refusal: str | None = None
        """Why CIC answers 412: the rule failed when the Recognize's metadata came."""
        self._looked = False

    def fed(self, intake: EventIntake) -> None:
        """More of the body arrived."""
        if not self._looked and intake.message is not None:
            self._looked = True
            if intake.name == RECOGNIZE:
                self.recognition, self.refusal = self.state.begin_recognition(
                    self.device, self.connection, intake.message
                )
        if self.recognition is not None and intake.audio_growing:
            self.state.voice.heard(self.recognition, intake.audio_received)

    def abandon(self) -> None:
        """Refused, or the client went away: its scripted answer waits for the next one."""
        if self.recognition is not None:
            self.state.voice.abandon(self.recognition)
            self.recognition = None

    def check(self, intake: EventIntake, event: RecordedEvent) -> Recognition | None:
        """The recognition of a Recognize CIC takes (None for any other event);
        EventRejected says why CIC would refuse it."""
        if event.name != RECOGNIZE:
            return None
        problem = self.state.voice.problem(self.device, event.message)
        if problem is not None:
            raise EventRejected(problem, [{"path": "event", "message": problem}])
        if intake.audio_growing:
            raise EventRejected("the audio part never ended (the body has no closing boundary)")
        audio = event.audio
        if audio is None:
            raise EventRejected(
                "Recognize without an 'audio' part (application/octet-stream, 16 kHz 16-bit "
                "mono PCM after the metadata)",
                [{"path": "audio", "message": "part required"}],
            )
        if len(audio) % 2:
            raise EventRejected(
                f"the audio part has {len(audio)} bytes, an odd count: 16-bit PCM comes in "
                "2-byte samples",
                [{"path": "audio", "message": "odd byte count"}],
            )
        if self.recognition is None:  # cannot happen: a valid metadata began one
            self.recognition = self.state.voice.begin(self.device, event.message)
        self.recognition.audio_bytes = len(audio)
        return self.recognition


def encode_items(items: list[Item], subtype: str) -> tuple[bytes, str]:
    """The 200 answer's multipart body: directives and attachments in the order given."""
    boundary = secrets.token_hex(16)
    pieces = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            pieces.append(encode_directive_part(item, boundary, first=i == 0))
        else:
            content_id, data = item
            pieces.append(attachment_part(content_id, data, boundary=boundary, first=i == 0))
    return b"".join(pieces) + CLOSE, f"multipart/{subtype}; boundary={boundary}"
