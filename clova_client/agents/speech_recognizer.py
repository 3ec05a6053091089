"""SpeechRecognizer: the voice component's recognitions out as Recognize, CIC's answers back.

``begin`` opens a recognition for a local client (the control socket's ``recognize``): it mints
the dialogRequestId (or takes the pending ExpectSpeech's), makes it the current dialog (the
dialog it supersedes has its waiting directives dropped and its speech stopped: barge-in),
takes the audio focus (``listening``) and sends Recognize with the audio streamed as it comes.
StopCapture ends the audio; StopCapture, KeepRecording, ShowRecognizedText and ExpectSpeech are
told to the recognition's client and to every ``listen`` client. An ExpectSpeech holds the
focus (``expecting``) until it is answered or its timeout passes (then the clients are told
``ExpectSpeechTimedOut`` and nothing is sent).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ..clock import Clock, Timer
from ..protocol import Directive, Event, JsonObject
from ..protocol.speech import (
    RECOGNIZER,
    ExpectSpeechPayload,
    RecognizePayload,
    ShowRecognizedTextPayload,
    StopCapturePayload,
    initiator_of,
)
from .focus import AudioFocus, FocusMode
from .outbound import EventOut
from .recognition import LISTENING as LISTENING
from .recognition import AudioEnd, Recognition, Tell
from .router import Router, expect_payload
from .speech_synthesizer import SpeechSynthesizerAgent

log = structlog.get_logger(__name__)

Stream = Callable[[Event, AsyncIterator[bytes]], Awaitable[Any]]
"""Sends an event with its audio streamed (``CicClient.stream_event``); its result has
``status``, ``problem`` and ``ok``; raises ``NotConnected`` when it cannot send now."""

EXPECTING = "expecting"


class RecognitionRefused(Exception):
    """The recognition cannot start; the text says why (told to the local client)."""


@dataclass(frozen=True, slots=True)
class Expected:
    dialog_request_id: str
    expect_speech_id: str
    explicit: bool
    timer: Timer


class SpeechRecognizerAgent:
    def __init__(
        self,
        events: EventOut,
        stream: Stream,
        router: Router,
        synthesizer: SpeechSynthesizerAgent,
        focus: AudioFocus,
        clock: Clock,
        lang: str = "ko",
        device_uuid: str | None = None,
    ) -> None:
        """``device_uuid``: put in every initiator's payload the local client did not."""
        self._events = events
        self._stream = stream
        self._router = router
        self._synthesizer = synthesizer
        self._focus = focus
        self._clock = clock
        self._lang = lang
        self._device_uuid = device_uuid
        self.current: Recognition | None = None
        """The recognition whose audio streams (or whose answer is awaited)."""
        self._task: asyncio.Task[None] | None = None
        self.expected: Expected | None = None
        self.listeners: set[Tell] = set()

    def status(self) -> dict[str, Any]:
        """The voice part of ``status``: the focus, the recognition, the expectation, the
        speech (``control.status.VoiceInfo``)."""
        focus = self._focus
        content = "normal"
        if focus.held:
            content = "ducked" if focus.mode is FocusMode.DUCK else "paused"
        speech = self._synthesizer.state
        return {
            "focus": sorted(focus.holders),
            "content": content,
            "recognizing": self.current.dialog_request_id if self.current else None,
            "expecting": self.expected.expect_speech_id if self.expected else None,
            "speech": speech.to_json() if speech is not None else None,
        }

    def register(self, router: Router) -> None:
        router.register(RECOGNIZER, "StopCapture", self.on_stop_capture)
        router.register(RECOGNIZER, "KeepRecording", self.on_keep_recording)
        router.register(RECOGNIZER, "ExpectSpeech", self.on_expect_speech)
        router.register(RECOGNIZER, "ShowRecognizedText", self.on_show_text)

    # --- the local side -----------------------------------------------------------------------

    async def begin(
        self,
        tell: Tell,
        initiator: JsonObject | None = None,
        *,
        answer: bool = False,
        lang: str | None = None,
    ) -> Recognition:
        """Open a recognition (``answer``: the reply to the pending ExpectSpeech). ``initiator``
        as the local client gives it (``type``, ``inputSource``, a ``wakeWord`` at its top or
        in its ``payload``); the speaker's deviceUUID is added. Raises RecognitionRefused
        (nothing sent) when it cannot be."""
        expected = self.expected
        if answer and expected is None:
            raise RecognitionRefused("no ExpectSpeech is waiting for an answer")
        if answer and expected is not None:
            dialog, speech_id, explicit = (
                expected.dialog_request_id,
                expected.expect_speech_id,
                expected.explicit,
            )
        else:
            dialog, speech_id, explicit = str(uuid.uuid4()), None, None
        try:
            payload = RecognizePayload.model_validate(
                {
                    "lang": lang or self._lang,
                    "initiator": (
                        None if initiator is None else initiator_of(initiator, self._device_uuid)
                    ),
                    "speech_id": speech_id,
                    "explicit": explicit,
                }
            )
        except ValueError as exc:
            raise RecognitionRefused(f"bad recognition: {exc}") from None
        recognition = Recognition(dialog, tell, speech_id)
        await self._focus.acquire(recognition.focus_holder)  # first: music stays down
        if answer:
            await self._end_expecting()
        await self._supersede(recognition)
        event = self._events.build(
            RECOGNIZER,
            "Recognize",
            payload,
            dialog_request_id=dialog,
            log_fields={"audio": "streamed"},
        )
        self.current = recognition
        self._task = asyncio.get_running_loop().create_task(self._run(recognition, event))
        tell({"event": "started", "dialogRequestId": dialog, "messageId": event.message_id})
        return recognition

    async def _supersede(self, recognition: Recognition) -> None:
        """The new recognition wins: an older one still streaming is abandoned, and the
        dialog it replaces loses its speech and its waiting directives."""
        old, task = self.current, self._task
        if old is not None and task is not None and not task.done():
            old.end(AudioEnd.SUPERSEDED)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            old.tell({"event": "error", "reason": "superseded by a newer recognition"})
        previous = self._router.dialogs.begin(recognition.dialog_request_id)
        if previous is not None:
            await self.supersede_dialog(previous)

    async def supersede_dialog(self, previous: str) -> None:
        """``previous`` is no longer the current dialog: its speech stops (SpeechStopped),
        what waits in it is dropped, an ExpectSpeech of it is forgotten."""
        reason = "its dialog was superseded by a newer one on this speaker"
        await self._synthesizer.stop(previous, reason)
        self._router.drop_dialog(previous, reason)
        if self.expected is not None and self.expected.dialog_request_id == previous:
            await self._end_expecting()

    async def stop_speaking(self, reason: str) -> bool:
        """Stop whatever speaks (SpeechStopped) and drop what waits behind it (a stop button);
        True when something spoke or waited."""
        return await self._synthesizer.stop(None, reason)

    async def _run(self, recognition: Recognition, event: Event) -> None:
        dialog = recognition.dialog_request_id
        try:
            try:
                outcome = await self._stream(event, recognition.parts())
            except Exception as exc:  # NotConnected, or a failure of the request itself
                recognition.end(AudioEnd.FAILED)
                self._fail(recognition, f"Recognize not sent: {exc}")
                return
            if not outcome.ok:
                self._fail(recognition, f"CIC answered {outcome.status}: {outcome.problem}")
                return
            log.info(
                "recognize.answered",
                dialog_request_id=dialog,
                status=outcome.status,
                audio_bytes=recognition.received,
                parts=recognition.sent_parts,
                audio_end=recognition.ended.name if recognition.ended else None,
            )
            recognition.tell({"event": "answered", "status": outcome.status})
            await self._focus.release(recognition.focus_holder)
            await self._synthesizer.wait_quiet()
            recognition.tell({"event": "finished", "dialogRequestId": dialog})
        finally:
            if self.current is recognition:
                self.current = None
            await self._focus.release(recognition.focus_holder)

    def _fail(self, recognition: Recognition, reason: str) -> None:
        log.warning(
            "recognize.failed", dialog_request_id=recognition.dialog_request_id, reason=reason
        )
        recognition.tell({"event": "error", "reason": reason})

    def feed(self, recognition: Recognition, data: bytes) -> None:
        recognition.feed(data, self._clock.now())

    def end_audio(self, recognition: Recognition) -> None:
        """The local client ended its audio."""
        if recognition.end(AudioEnd.LOCAL):
            log.info("recognize.audio_end", reason=AudioEnd.LOCAL.value, bytes=recognition.received)

    async def abandon(self, recognition: Recognition) -> None:
        """The local client vanished mid-stream: the request is cut off (CIC gets no
        half-utterance to answer), the focus let go."""
        if recognition.ended is not None or self.current is not recognition:
            return
        recognition.end(AudioEnd.VANISHED)
        log.warning(
            "recognize.abandoned",
            dialog_request_id=recognition.dialog_request_id,
            reason=AudioEnd.VANISHED.value,
            bytes=recognition.received,
        )
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def wait_done(self, recognition: Recognition) -> None:
        """Return once the recognition's request and its turn are over."""
        task = self._task
        if self.current is recognition and task is not None:
            await asyncio.gather(asyncio.shield(task), return_exceptions=True)

    def _tell_all(self, line: JsonObject, recognition: Recognition | None = None) -> None:
        if recognition is not None:
            recognition.tell(line)
        for listener in list(self.listeners):
            listener(line)

    # --- directives ---------------------------------------------------------------------------

    def _recognition_of(self, directive: Directive[Any]) -> Recognition | None:
        current = self.current
        if current is not None and current.dialog_request_id == directive.header.dialog_request_id:
            return current
        return None

    async def on_stop_capture(self, directive: Directive[Any], _: Mapping[str, bytes]) -> None:
        payload = expect_payload(directive, StopCapturePayload)
        recognition = self._recognition_of(directive)
        if recognition is None:
            log.info("recognize.stop_capture_ignored", reason="no recognition of that dialog")
            return
        if recognition.end(AudioEnd.STOP_CAPTURE):
            log.info(
                "recognize.audio_end",
                reason=AudioEnd.STOP_CAPTURE.value,
                bytes=recognition.received,
            )
        line: JsonObject = {
            "event": "StopCapture",
            "dialogRequestId": recognition.dialog_request_id,
        }
        if payload.recognized_text is not None:
            line["recognizedText"] = payload.recognized_text
        self._tell_all(line, recognition)

    async def on_keep_recording(self, directive: Directive[Any], _: Mapping[str, bytes]) -> None:
        dialog = directive.header.dialog_request_id
        self._tell_all(
            {"event": "KeepRecording", "dialogRequestId": dialog}, self._recognition_of(directive)
        )

    async def on_show_text(self, directive: Directive[Any], _: Mapping[str, bytes]) -> None:
        payload = expect_payload(directive, ShowRecognizedTextPayload)
        self._tell_all(
            {"event": "ShowRecognizedText", "text": payload.text}, self._recognition_of(directive)
        )

    async def on_expect_speech(self, directive: Directive[Any], _: Mapping[str, bytes]) -> None:
        payload = expect_payload(directive, ExpectSpeechPayload)
        dialog = directive.header.dialog_request_id or self._router.dialogs.current
        if dialog is None:
            log.warning("expect_speech.ignored", reason="no dialog to answer in")
            return
        if self.expected is not None:
            self.expected.timer.cancel()  # a newer ExpectSpeech replaces it (focus kept)
        timeout_s = payload.timeout_in_milliseconds / 1000

        def expired() -> None:
            expected = self.expected
            if expected is not None and expected.expect_speech_id == payload.expect_speech_id:
                self._spawn_timeout(expected)

        timer = self._clock.call_later(timeout_s, expired)
        self.expected = Expected(dialog, payload.expect_speech_id, payload.explicit, timer)
        await self._focus.acquire(EXPECTING)
        log.info(
            "expect_speech.waiting",
            dialog_request_id=dialog,
            expect_speech_id=payload.expect_speech_id,
            explicit=payload.explicit,
            timeout_ms=payload.timeout_in_milliseconds,
        )
        self._tell_all(
            {
                "event": "ExpectSpeech",
                "dialogRequestId": dialog,
                "expectSpeechId": payload.expect_speech_id,
                "explicit": payload.explicit,
                "timeoutInMilliseconds": payload.timeout_in_milliseconds,
            },
            self._recognition_of(directive),
        )

    def _spawn_timeout(self, expected: Expected) -> None:
        task = asyncio.get_running_loop().create_task(self._timed_out(expected))
        task.add_done_callback(_log_failure)

    async def _timed_out(self, expected: Expected) -> None:
        if self.expected is not expected:
            return
        self.expected = None
        log.info(
            "expect_speech.timed_out",
            dialog_request_id=expected.dialog_request_id,
            expect_speech_id=expected.expect_speech_id,
            sent="nothing",
        )
        self._tell_all(
            {
                "event": "ExpectSpeechTimedOut",
                "dialogRequestId": expected.dialog_request_id,
                "expectSpeechId": expected.expect_speech_id,
            }
        )
        await self._focus.release(EXPECTING)

    async def _end_expecting(self) -> None:
        """Forget the pending ExpectSpeech (answered or superseded) and let its focus go."""
        expected, self.expected = self.expected, None
        if expected is not None:
            expected.timer.cancel()
            await self._focus.release(EXPECTING)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("expect_speech.timeout_failed", error=repr(task.exception()))
