"""The daemon's voice parts wired as the daemon wires them, on a stepping manual clock.

A content engine (``PlayerEngine``) and the speech output on ``FakeBackend``s, one ``Mixer``,
one ``AudioFocus``, the real ``Router``, ``SpeechSynthesizerAgent`` and
``SpeechRecognizerAgent``; events go to a list (``EventOut`` with the SpeechState context),
Recognize goes to ``FakeStream``, which records each audio part and when it came.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog

from clova_client.agents.audioplayer_items import item_of_saved
from clova_client.agents.context import SPEECH_STATE
from clova_client.agents.focus import AudioFocus, FocusMode
from clova_client.agents.outbound import EventOut
from clova_client.agents.recognition import Recognition
from clova_client.agents.router import Outcome, Router
from clova_client.agents.speech_recognizer import LISTENING, SpeechRecognizerAgent
from clova_client.agents.speech_synthesizer import SpeechSynthesizerAgent
from clova_client.cic.streamed import StreamOutcome
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.protocol import Directive, Event, JsonObject
from tests.player.helpers import SteppingClock, run_clock, stream

MEMORY = "memory://speech"
"""The URL the synthesizer gives a speech played from an attachment."""
TTS_URL = "https://tts.example/answer.mp3"
HLS_URL = "https://tts.example/answer.m3u8"
MISSING_URL = "https://tts.example/missing.mp3"
HLS = "application/vnd.apple.mpegurl"


def directive(
    namespace: str,
    name: str,
    payload: JsonObject | None = None,
    *,
    mid: str,
    dialog: str | None = None,
) -> bytes:
    header: JsonObject = {"namespace": namespace, "name": name, "messageId": mid}
    if dialog is not None:
        header["dialogRequestId"] = dialog
    return json.dumps({"directive": {"header": header, "payload": payload or {}}}).encode()


def speak(
    token: str,
    *,
    mid: str | None = None,
    dialog: str | None = None,
    url: str | None = None,
    cid: str | None = None,
    pause_ms: int | None = None,
    content_type: str | None = None,
) -> bytes:
    payload: JsonObject = {
        "format": "AUDIO_MPEG",
        "token": token,
        "url": f"cid:{cid}" if cid is not None else (url or TTS_URL),
    }
    if pause_ms is not None:
        payload["x-clova-pause-before"] = pause_ms
    if content_type is not None:
        payload["contentType"] = content_type
    return directive("SpeechSynthesizer", "Speak", payload, mid=mid or f"m-{token}", dialog=dialog)


def play_directive(item: str, *, mid: str, dialog: str | None = None) -> bytes:
    payload: JsonObject = {
        "audioItem": {"audioItemId": item, "stream": stream(item), "type": "test"},
        "playBehavior": "REPLACE_ALL",
        "source": {"name": "Test"},
    }
    return directive("AudioPlayer", "Play", payload, mid=mid, dialog=dialog)


def expect_speech(
    expect_id: str, timeout_ms: int, *, dialog: str | None, mid: str, explicit: bool = True
) -> bytes:
    payload: JsonObject = {
        "expectSpeechId": expect_id,
        "explicit": explicit,
        "timeoutInMilliseconds": timeout_ms,
    }
    return directive("SpeechRecognizer", "ExpectSpeech", payload, mid=mid, dialog=dialog)


def stop_capture(*, dialog: str | None, mid: str = "m-stop", text: str | None = None) -> bytes:
    payload: JsonObject = {} if text is None else {"recognizedText": text}
    return directive("SpeechRecognizer", "StopCapture", payload, mid=mid, dialog=dialog)


@dataclass
class FakeStream:
    """``CicClient.stream_event`` for tests: consumes the audio, records every part with the
    clock's time; ``answer`` runs once the audio has ended (CIC's directives), then the outcome
    (``status``) is returned; ``raises``: raised at once instead (NotConnected)."""

    clock: SteppingClock
    status: int = 200
    problem: str = ""
    raises: Exception | None = None
    answer: Callable[[Event], Awaitable[None]] | None = None
    on_part: Callable[[int, bytes], Awaitable[None]] | None = None
    """Runs after each part is recorded (its number from 1)."""
    hold: asyncio.Event | None = None
    """When set, the request stays open (audio consumed) until this event is set."""
    events: list[Event] = field(default_factory=list)
    parts: list[tuple[float, bytes]] = field(default_factory=list)
    audio_ended: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: list[str] = field(default_factory=list)
    """dialogRequestIds of the requests cut off (cancelled)."""

    async def __call__(self, event: Event, audio: AsyncIterator[bytes]) -> StreamOutcome:
        self.events.append(event)
        self.audio_ended.clear()
        if self.raises is not None:
            raise self.raises
        sent = 0
        try:
            async for part in audio:
                self.parts.append((self.clock.now(), part))
                sent += len(part)
                if self.on_part is not None:
                    await self.on_part(len(self.parts), part)
            self.audio_ended.set()
            if self.hold is not None:
                await self.hold.wait()
            if self.answer is not None:
                await self.answer(event)
        except asyncio.CancelledError:
            self.cancelled.append(event.header.dialog_request_id or "")
            raise
        return StreamOutcome(self.status, self.problem, sent)

    @property
    def audio(self) -> bytes:
        return b"".join(part for _, part in self.parts)


@dataclass(eq=False)
class Told:
    """What one local client was told (a recognition's ``tell`` or a listener)."""

    lines: list[JsonObject] = field(default_factory=list)

    def __call__(self, line: JsonObject) -> None:
        self.lines.append(line)

    def events(self) -> list[Any]:
        return [line.get("event") for line in self.lines]

    def last(self, event: str) -> JsonObject:
        return next(line for line in reversed(self.lines) if line.get("event") == event)


@dataclass
class VoiceRig:
    clock: SteppingClock
    content: FakeBackend
    engine: PlayerEngine
    speech_out: FakeBackend
    router: Router
    focus: AudioFocus
    synth: SpeechSynthesizerAgent
    recognizer: SpeechRecognizerAgent
    stream: FakeStream
    sent: list[Event]
    handled: list[tuple[str, str]]
    """(name, messageId) of each directive the recording handlers saw."""
    sent_at: list[float] = field(default_factory=list)
    """The clock's time when each event of ``sent`` went out."""

    def time_of(self, name: str, token: str) -> float:
        for event, at in zip(self.sent, self.sent_at, strict=True):
            if event.header.name == name and event.payload.get("token") == token:
                return at
        raise AssertionError(f"no {name} of {token}; sent {self.names()}")

    @property
    def mixer(self) -> Any:
        return self.engine.mixer

    def names(self) -> list[str]:
        return [e.full_name for e in self.sent]

    def speech_events(self) -> list[tuple[str, Any]]:
        return [
            (e.header.name, e.payload.get("token"))
            for e in self.sent
            if e.header.namespace == "SpeechSynthesizer"
        ]

    def played(self) -> list[Any]:
        """What the speech output was told to play (MediaSources), in order."""
        return self.speech_out.calls_named("play")

    async def dispatch(self, raw: bytes, attachments: Mapping[str, bytes] | None = None) -> Outcome:
        outcome = await self.router.dispatch(raw, attachments or {})
        await self.settle()
        return outcome

    async def settle(self) -> None:
        for _ in range(4):
            await self.engine.wait_idle()
            for _ in range(5):
                await asyncio.sleep(0)

    async def run(self, seconds: float) -> None:
        """Let ``seconds`` of clock time pass, every timer at its own due time."""
        await run_clock(self.clock, self.settle, seconds)

    async def close(self) -> None:
        await self.synth.close()
        await self.engine.close()


RECORDED = (("AudioPlayer", "Play"), ("Vendor", "Custom"), ("Vendor", "Other"))


async def make_rig(
    *,
    mode: FocusMode = FocusMode.DUCK,
    duck_percent: int = 20,
    speech_media: Mapping[str, FakeMedia] | None = None,
    content_media: Mapping[str, FakeMedia] | None = None,
    open_timeout_s: float = 10.0,
) -> VoiceRig:
    """``speech_media`` None: the speech output is driven by hand (``emit_time`` ...)."""
    clock = SteppingClock()
    content = FakeBackend(clock, dict(content_media or {}))
    engine = PlayerEngine(content, clock, PlayerSettings(), rebuild=item_of_saved)
    await engine.start()
    speech_out = FakeBackend(
        clock if speech_media is not None else None,
        dict(speech_media) if speech_media is not None else None,
    )
    sent: list[Event] = []
    sent_at: list[float] = []

    def queue(event: Event) -> None:
        sent.append(event)
        sent_at.append(clock.now())

    events = EventOut(queue)
    router = Router()
    focus = AudioFocus(engine.mixer, [engine], mode, duck_percent)
    synth = SpeechSynthesizerAgent(
        lambda: speech_out, engine.mixer, events, router, focus, clock, open_timeout_s
    )
    synth.register(router)
    events.context.provide(SPEECH_STATE, synth.context)
    stream = FakeStream(clock)
    recognizer = SpeechRecognizerAgent(events, stream, router, synth, focus, clock, "ko")
    recognizer.register(router)
    handled: list[tuple[str, str]] = []

    def recorder(name: str) -> Callable[[Directive[Any], Mapping[str, bytes]], Awaitable[None]]:
        async def handle(d: Directive[Any], _: Mapping[str, bytes]) -> None:
            handled.append((name, d.header.message_id))

        return handle

    for namespace, name in RECORDED:
        router.register(namespace, name, recorder(name))
    return VoiceRig(
        clock,
        content,
        engine,
        speech_out,
        router,
        focus,
        synth,
        recognizer,
        stream,
        sent,
        handled,
        sent_at,
    )


def speech_state(event: Event) -> JsonObject | None:
    """The SpeechSynthesizer.SpeechState context object's payload in ``event``."""
    for obj in event.context:
        header = obj.get("header", {})
        if header.get("namespace") == "SpeechSynthesizer" and header.get("name") == "SpeechState":
            payload: JsonObject = obj["payload"]
            return payload
    return None


def stop_capture_after(rig: VoiceRig, parts: int, text: str) -> None:
    """CIC sends StopCapture (recognized ``text``) on the downchannel once ``parts`` audio
    parts of the current Recognize have arrived."""

    async def on_part(n: int, _part: bytes) -> None:
        if n == parts:
            dialog = rig.stream.events[-1].header.dialog_request_id
            await rig.router.dispatch(stop_capture(dialog=dialog, text=text))

    rig.stream.on_part = on_part


def pcm(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


async def begin(rig: VoiceRig, told: Told | None = None, **kwargs: Any) -> tuple[Recognition, Told]:
    told = told if told is not None else Told()
    recognition = await rig.recognizer.begin(told, **kwargs)
    await rig.settle()
    return recognition, told


async def feed(rig: VoiceRig, recognition: Recognition, data: bytes) -> None:
    rig.recognizer.feed(recognition, data)
    await rig.settle()


def holders(rig: VoiceRig) -> set[str]:
    """The focus holders by kind (a holder named per recognition, "listening..." counts as
    ``listening``)."""
    return {LISTENING if h.startswith(LISTENING) else h for h in rig.focus.holders}


def recognize(rig: VoiceRig, n: int = -1) -> Event:
    return rig.stream.events[n]


Logs = list[MutableMapping[str, Any]]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """Every log line of the test, as structlog captured it."""
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
async def rig() -> AsyncIterator[VoiceRig]:
    """The voice parts, wired; closed after the test."""
    made = await make_rig()
    yield made
    await made.close()
