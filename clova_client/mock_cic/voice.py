"""SpeechRecognizer.Recognize as CIC answers it: StopCapture (and KeepRecording) on the
downchannel once enough audio came, then the answer (Speak with its MP3, then Play or
ExpectSpeech) when the audio ends, and the scripted late directives after it.

No HTTP here: ``cic_app`` feeds a ``Recognition`` the audio byte counts as they arrive.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from clova_client.protocol.speech import BYTES_PER_SECOND

from .messages import JsonObject, directive, new_id
from .voice_audio import RenderError, VoiceAudio
from .voice_script import (
    ExpectSpeechSpec,
    LateSpec,
    PlaySpec,
    SpeakSpec,
    Then,
    VoiceAnswer,
    VoiceScript,
)

log = structlog.get_logger(__name__)

RECOGNIZE = "SpeechRecognizer.Recognize"
BYTES_PER_MS = BYTES_PER_SECOND // 1000
HLS_TYPE = "application/vnd.apple.mpegurl"
MAX_ANSWERED = 200

Item = JsonObject | tuple[str, bytes]
"""A part of the answer: a directive, or an attachment (Content-ID, bytes)."""
T = TypeVar("T")
Push = Callable[[str, list[JsonObject]], bool]
Deliver = Callable[[str, list[JsonObject], Mapping[str, bytes] | None], bool]

__all__ = ["RECOGNIZE", "Item", "Recognition", "RenderError", "Voice"]


def _short() -> str:
    return secrets.token_hex(4)


@dataclass
class Recognition:
    """One Recognize, from its metadata to its answer."""

    device: str
    dialog_request_id: str
    message_id: str
    speech_id: str | None
    answer: VoiceAnswer
    scripted: bool
    """The answer came from the queue (it goes back there if this Recognize is refused)."""
    started_at: float = field(default_factory=time.time)
    audio_bytes: int = 0
    stop_capture_at: float | None = None
    """``time.time()`` when StopCapture was handed to the downchannel."""
    stop_capture_bytes: int | None = None
    """Audio bytes that had arrived then."""
    keep_recording_at: float | None = None
    ended_at: float | None = None
    answered_at: float | None = None
    sent: list[str] = field(default_factory=list)
    """``Namespace.Name`` of every directive of the answer, in order."""
    tokens: list[str] = field(default_factory=list)
    expect_speech_id: str | None = None
    status: int | None = None
    audio: asyncio.Task[list[bytes]] | None = None

    def to_json(self) -> JsonObject:
        return {
            "device": self.device,
            "dialog_request_id": self.dialog_request_id,
            "message_id": self.message_id,
            "speech_id": self.speech_id,
            "scripted": self.scripted,
            "answer": self.answer.to_json(),
            "started_at": self.started_at,
            "audio_bytes": self.audio_bytes,
            "stop_capture_at": self.stop_capture_at,
            "stop_capture_bytes": self.stop_capture_bytes,
            "keep_recording_at": self.keep_recording_at,
            "ended_at": self.ended_at,
            "answered_at": self.answered_at,
            "status": self.status,
            "directives": list(self.sent),
            "speak_tokens": list(self.tokens),
            "expect_speech_id": self.expect_speech_id,
        }


class Voice:
    """The voice side of the mock: the script, the ExpectSpeech ids it issued, the sound."""

    def __init__(self, push_now: Push, deliver: Deliver) -> None:
        self._push_now = push_now
        """Push on the device's open downchannel (False, nothing sent, when none is open)."""
        self._deliver = deliver
        """Push with attachments, or queue until a downchannel opens."""
        self.script = VoiceScript()
        self.audio = VoiceAudio()
        self.answered: list[Recognition] = []
        self._expected: dict[tuple[str, str], str | None] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # ExpectSpeech ids ------------------------------------------------------------------------

    def note_sent(self, device: str, directives: list[JsonObject]) -> None:
        """Remember the ExpectSpeech among directives sent to ``device`` (whoever wrote them)."""
        for item in directives:
            body = item.get("directive") if isinstance(item, dict) else None
            header = body.get("header") if isinstance(body, dict) else None
            payload = body.get("payload") if isinstance(body, dict) else None
            if (
                isinstance(header, dict)
                and (header.get("namespace"), header.get("name"))
                == ("SpeechRecognizer", "ExpectSpeech")
                and isinstance(payload, dict)
                and isinstance(payload.get("expectSpeechId"), str)
            ):
                dialog = header.get("dialogRequestId")
                self._expected[(device, payload["expectSpeechId"])] = (
                    dialog if isinstance(dialog, str) else None
                )

    def problem(self, device: str, message: JsonObject) -> str | None:
        """Why CIC would refuse this Recognize's metadata (400), or None."""
        event = message.get("event", {})
        header, payload = event.get("header", {}), event.get("payload") or {}
        dialog = header.get("dialogRequestId")
        if not isinstance(dialog, str) or not dialog:
            return "Recognize needs a dialogRequestId (the answer's directives carry it)"
        speech_id = payload.get("speechId")
        if speech_id is None:
            return None
        key = (device, speech_id)
        if key not in self._expected:
            return f"speechId {speech_id!r} answers no ExpectSpeech the mock sent this device"
        wanted = self._expected[key]
        if wanted is not None and wanted != dialog:
            return (
                f"speechId {speech_id!r} belongs to dialog {wanted!r}, the Recognize's "
                f"dialogRequestId is {dialog!r} (a second turn keeps the dialog's id)"
            )
        return None

    # one Recognize ---------------------------------------------------------------------------

    def begin(self, device: str, message: JsonObject) -> Recognition:
        """A Recognize whose metadata is fine: its answer is chosen and its sound made now."""
        header = message["event"]["header"]
        answer, scripted = self.script.take()
        recognition = Recognition(
            device=device,
            dialog_request_id=header["dialogRequestId"],
            message_id=header.get("messageId", ""),
            speech_id=(message["event"].get("payload") or {}).get("speechId"),
            answer=answer,
            scripted=scripted,
        )
        recognition.audio = self._track(self._render(answer))
        log.info(
            "mock_cic.recognize_started",
            device=device,
            dialog_request_id=recognition.dialog_request_id,
            scripted=scripted,
        )
        self.heard(recognition, 0)
        return recognition

    async def _render(self, answer: VoiceAnswer) -> list[bytes]:
        """The Speaks' MP3s (and the default track), made while the audio still streams."""
        sounds = [await self._sound(spec) for spec in answer.speak]
        then = answer.then
        if isinstance(then, PlaySpec) and then.url is None and then.payload is None:
            await self.audio.track_url()
        return sounds

    async def _sound(self, spec: SpeakSpec) -> bytes:
        if spec.tone_ms is not None:
            return await self.audio.tone(spec.tone_ms)
        return await self.audio.speech(spec.text or "", spec.voice)

    def heard(self, recognition: Recognition, audio_bytes: int) -> None:
        """``audio_bytes`` of audio have arrived: KeepRecording / StopCapture when due."""
        recognition.audio_bytes = audio_bytes
        answer = recognition.answer
        keep, stop = answer.keep_recording_after_ms, answer.stop_capture_after_ms
        if (
            keep is not None
            and recognition.keep_recording_at is None
            and audio_bytes >= keep * BYTES_PER_MS
        ):
            recognition.keep_recording_at = time.time()
            self._push(recognition, "KeepRecording", {})
        if (
            stop is not None
            and recognition.stop_capture_at is None
            and audio_bytes >= stop * BYTES_PER_MS
        ):
            recognition.stop_capture_at = time.time()
            recognition.stop_capture_bytes = audio_bytes
            text = answer.recognized_text
            self._push(recognition, "StopCapture", {} if text is None else {"recognizedText": text})

    def _push(self, recognition: Recognition, name: str, payload: JsonObject) -> None:
        message = directive(
            "SpeechRecognizer", name, payload, dialog_request_id=recognition.dialog_request_id
        )
        if not self._push_now(recognition.device, [message]):
            log.warning(
                "mock_cic.voice_directive_dropped",
                device=recognition.device,
                directive=f"SpeechRecognizer.{name}",
                reason="no downchannel is open",
            )

    def _track(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A task of the voice's own, cancelled by ``close()`` (a render goes on when its
        Recognize is refused: what it makes is cached for the next)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("mock_cic.voice_task_failed", error=str(error))

    def abandon(self, recognition: Recognition) -> None:
        """The Recognize was refused or its stream went away: its answer waits for the next."""
        if recognition.scripted:
            self.script.put_back(recognition.answer)
            recognition.scripted = False

    def accepted(self, recognition: Recognition, speech_id: str | None) -> None:
        recognition.ended_at = time.time()
        if speech_id is not None:
            self._expected.pop((recognition.device, speech_id), None)

    async def answer(self, recognition: Recognition) -> list[Item]:
        """The parts of the 200 answer, in order; waits ``answer_delay_ms`` first."""
        spec = recognition.answer
        if spec.answer_delay_ms:
            await asyncio.sleep(spec.answer_delay_ms / 1000)
        assert recognition.audio is not None
        sounds = await recognition.audio
        items: list[Item] = []
        for speak, sound in zip(spec.speak, sounds, strict=True):
            items += await self._speak(recognition, speak, sound)
        if spec.then is not None:
            items.append(await self._then(recognition, spec.then))
        recognition.sent = [_name(i) for i in items if isinstance(i, dict)]
        return items

    async def _speak(self, recognition: Recognition, spec: SpeakSpec, sound: bytes) -> list[Item]:
        token = f"tts-{_short()}"
        recognition.tokens.append(token)
        payload: JsonObject = {"format": "AUDIO_MPEG", "token": token, "ttsLang": spec.lang}
        if spec.pause_before_ms is not None:
            payload["x-clova-pause-before"] = spec.pause_before_ms
        if spec.via == "url":
            payload["url"] = self.audio.publish(f"{token}.mp3", sound, spec.url_status)
        elif spec.via == "hls":
            payload["contentType"] = HLS_TYPE
            payload["url"] = await self.audio.publish_hls(token, sound, spec.url_status)
        else:
            payload["url"] = f"cid:{token}"
        speak = directive(
            "SpeechSynthesizer", "Speak", payload, dialog_request_id=recognition.dialog_request_id
        )
        if spec.via != "attachment" or spec.attachment == "missing":
            return [speak]
        part = (token, sound)
        return [part, speak] if spec.attachment == "before" else [speak, part]

    async def _then(self, recognition: Recognition, then: Then) -> JsonObject:
        dialog = recognition.dialog_request_id
        if isinstance(then, ExpectSpeechSpec):
            expect_id = new_id()
            recognition.expect_speech_id = expect_id
            payload = {
                "expectSpeechId": expect_id,
                "explicit": then.explicit,
                "timeoutInMilliseconds": then.timeout_ms,
            }
            return directive("SpeechRecognizer", "ExpectSpeech", payload, dialog_request_id=dialog)
        return directive("AudioPlayer", "Play", await self._play(then), dialog_request_id=dialog)

    async def _play(self, spec: PlaySpec) -> JsonObject:
        if spec.payload is not None:
            return {"playBehavior": "REPLACE_ALL", **spec.payload}
        short = _short()
        url = spec.url or await self.audio.track_url()
        return {
            "audioItem": {
                "audioItemId": f"voice-{short}",
                "title": "Mock CIC track",
                "stream": {
                    "token": f"voice-track-{short}",
                    "url": url,
                    "urlPlayable": True,
                    "beginAtInMilliseconds": 0,
                },
            },
            "playBehavior": "REPLACE_ALL",
            "source": {"name": "Mock CIC"},
        }

    def answered_with(self, recognition: Recognition, status: int) -> None:
        """The answer went out: note it and start the late directives' clocks."""
        recognition.status = status
        recognition.answered_at = time.time()
        self.answered.append(recognition)
        del self.answered[:-MAX_ANSWERED]
        for late in recognition.answer.late:
            self._track(self._push_late(recognition, late))

    async def _push_late(self, recognition: Recognition, late: LateSpec) -> None:
        await asyncio.sleep(late.after_ms / 1000)
        dialog = recognition.dialog_request_id
        attachments: dict[str, bytes] = {}
        if late.kind == "directive":
            assert isinstance(late.spec, dict)
            message = _with_dialog(late.spec, dialog)
        elif isinstance(late.spec, SpeakSpec):
            items = await self._speak(recognition, late.spec, await self._sound(late.spec))
            attachments = {i[0]: i[1] for i in items if isinstance(i, tuple)}
            message = next(i for i in items if isinstance(i, dict))
        else:
            assert isinstance(late.spec, PlaySpec | ExpectSpeechSpec)
            message = await self._then(recognition, late.spec)
        self._deliver(recognition.device, [message], attachments or None)

    def to_json(self) -> JsonObject:
        return {**self.script.to_json(), "answered": [r.to_json() for r in self.answered]}

    async def close(self) -> None:
        """Cancel what is still rendering or waiting to be pushed (the server stops)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def clear(self) -> None:
        """Forget the script, the answered Recognizes and the ExpectSpeech ids; late
        directives not yet pushed are dropped."""
        for task in list(self._tasks):
            task.cancel()
        self.script.clear()
        self.answered.clear()
        self._expected.clear()


def _name(item: JsonObject) -> str:
    header = item["directive"]["header"]
    return f"{header['namespace']}.{header['name']}"


def _with_dialog(message: JsonObject, dialog: str) -> JsonObject:
    body = dict(message["directive"])
    header = {"messageId": new_id(), **body["header"]}
    header.setdefault("dialogRequestId", dialog)
    return {**message, "directive": {**body, "header": header}}
