"""SpeechSynthesizer: Speak in, the answer spoken, SpeechStarted / Finished / Stopped out.

A Speak names its sound by ``cid:`` (an attachment of the same body, played from memory,
never written to flash), a URL, or an HLS playlist (``contentType``). Speeches play one at a
time, in the order received, on the speech output (a backend of its own, at the user's volume,
never ducked), each after its ``x-clova-pause-before``. A Speak *blocks* its dialog: the
directives after it in the same dialog wait in the router's ``DialogQueue`` until it has ended
(finished, failed or stopped). SpeechStarted goes out with the first sound (the backend's first
TIME), SpeechFinished at its end, SpeechStopped when a newer dialog (barge-in) or a stop cut
it short. A speech that never sounded (its attachment never came, its URL failed) sends
nothing: one log line says why, and the dialog goes on.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ..clock import Clock, Timer
from ..player.backend import BackendEvent, BackendEventType, MediaSource, PlayerBackend
from ..player.mixer import Mixer
from ..protocol import Directive, JsonObject
from ..protocol.items import attachment_of
from ..protocol.speech import SYNTHESIZER, SpeakPayload, SpeechActivity, SpeechState
from ..redact import redact_url
from .focus import AudioFocus
from .outbound import EventOut
from .router import Router, expect_payload

log = structlog.get_logger(__name__)

FOCUS_HOLDER = "speech"
OPEN_TIMEOUT_S = 10.0
"""A speech with no sound this long after it was started has failed."""


@dataclass(eq=False)
class Speech:
    token: str
    dialog_request_id: str | None
    message_id: str
    url: str
    data: bytes | None
    pause_before_ms: int
    source_id: int = 0
    started: bool = False


class SpeechSynthesizerAgent:
    def __init__(
        self,
        backend: Callable[[], PlayerBackend],
        mixer: Mixer,
        events: EventOut,
        router: Router,
        focus: AudioFocus,
        clock: Clock,
        open_timeout_s: float = OPEN_TIMEOUT_S,
    ) -> None:
        """``backend`` makes the speech output on first use (a libVLC player of its own)."""
        self._make_backend = backend
        self._backend: PlayerBackend | None = None
        self._mixer = mixer
        self._events = events
        self._router = router
        self._focus = focus
        self._clock = clock
        self._open_timeout_s = open_timeout_s
        self._queue: deque[Speech] = deque()
        self._current: Speech | None = None
        self._ids = itertools.count(1)
        self._timer: Timer | None = None
        self._starting: asyncio.Task[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self.state: SpeechState | None = None
        """What the SpeechState context says (None before the first Speak)."""

    def register(self, router: Router) -> None:
        router.register(SYNTHESIZER, "Speak", self.on_speak)

    def context(self) -> JsonObject | None:
        return self.state.context() if self.state is not None else None

    @property
    def speaking(self) -> bool:
        return self._current is not None or bool(self._queue)

    async def wait_quiet(self) -> None:
        """Return once no speech plays or waits."""
        await self._quiet.wait()

    # --- directives -------------------------------------------------------------------------

    async def on_speak(self, directive: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        payload = expect_payload(directive, SpeakPayload)
        header = directive.header
        speech = self._speech_of(payload, header.dialog_request_id, header.message_id, attachments)
        if speech is None:
            return  # never blocks: the dialog goes on at once
        self._router.queue.block(speech.dialog_request_id)
        self._queue.append(speech)
        if self._current is None:
            await self._next()

    def _speech_of(
        self,
        payload: SpeakPayload,
        dialog_request_id: str | None,
        message_id: str,
        attachments: Mapping[str, bytes],
    ) -> Speech | None:
        content_id = payload.content_id
        data = None
        if content_id is not None:
            data = attachment_of(attachments, payload.url)
            if data is None:
                why = f"its attachment cid:{content_id} never arrived"
                self._refuse(payload, message_id, why)
                return None
        elif not payload.url.startswith(("http://", "https://")):
            self._refuse(payload, message_id, "its url is neither cid: nor http(s)")
            return None
        return Speech(
            payload.token,
            dialog_request_id,
            message_id,
            payload.url,
            data,
            payload.pause_before_ms,
        )

    def _refuse(self, payload: SpeakPayload, message_id: str, why: str) -> None:
        log.warning(
            "speech.failed",
            token=payload.token,
            message_id=message_id,
            reason=f"not spoken: {why}",
            sent="nothing (it never started)",
        )

    # --- playing ----------------------------------------------------------------------------

    async def _output(self) -> PlayerBackend:
        if self._backend is None:
            self._backend = self._make_backend()
            self._backend.attach(self._on_backend_event)
            await self._mixer.attach_speech(self._backend)
        return self._backend

    async def _next(self) -> None:
        """Start the next speech (its pause first, in a task of its own: the router goes on);
        the focus is taken here, before the caller returns, so music never comes back between
        two speeches or between the answer and its first speech."""
        if not self._queue:
            self._current = None
            self._quiet.set()
            await self._focus.release(FOCUS_HOLDER)
            return
        self._quiet.clear()
        speech = self._current = self._queue.popleft()
        speech.source_id = next(self._ids)
        await self._focus.acquire(FOCUS_HOLDER)
        self._starting = self._spawn(self._start(speech))

    async def _start(self, speech: Speech) -> None:
        if speech.pause_before_ms > 0:
            await self._clock.sleep(speech.pause_before_ms / 1000)
        if self._current is not speech:
            return
        backend = await self._output()
        url = "memory://speech" if speech.data is not None else speech.url
        log.info(
            "speech.play",
            token=speech.token,
            message_id=speech.message_id,
            dialog_request_id=speech.dialog_request_id,
            source="attachment" if speech.data is not None else redact_url(speech.url),
            bytes=len(speech.data) if speech.data is not None else None,
        )
        self._arm_timeout(speech)
        await backend.play(MediaSource(speech.source_id, url, data=speech.data))

    def _arm_timeout(self, speech: Speech) -> None:
        self._cancel_timer()

        def fire() -> None:
            if self._current is speech and not speech.started:
                self._spawn(self._failed(speech, f"no sound within {self._open_timeout_s:g} s"))

        self._timer = self._clock.call_later(self._open_timeout_s, fire)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_backend_event(self, event: BackendEvent) -> None:
        speech = self._current
        if speech is None or event.source_id != speech.source_id:
            return
        kind = event.type
        if kind is BackendEventType.TIME and not speech.started:
            speech.started = True
            self._cancel_timer()
            self._say(speech, "SpeechStarted", SpeechActivity.PLAYING)
        elif kind is BackendEventType.ENDED:
            if speech.started:
                self._spawn(self._finished(speech))
            else:
                self._spawn(self._failed(speech, "it ended without a sound"))
        elif kind is BackendEventType.ERROR:
            self._spawn(self._failed(speech, event.reason or "the player failed"))

    def _say(self, speech: Speech, name: str, activity: SpeechActivity) -> None:
        self.state = SpeechState(token=speech.token, player_activity=activity)
        self._events.send(SYNTHESIZER, name, {"token": speech.token})

    async def _finished(self, speech: Speech) -> None:
        if self._current is not speech:
            return
        self._cancel_timer()
        self._say(speech, "SpeechFinished", SpeechActivity.FINISHED)
        await self._hand_on(speech)

    async def _failed(self, speech: Speech, reason: str) -> None:
        if self._current is not speech:
            return
        self._cancel_timer()
        if self._backend is not None:
            await self._backend.stop()
        if speech.started:
            log.warning("speech.failed", token=speech.token, reason=reason, sent="SpeechStopped")
            self._say(speech, "SpeechStopped", SpeechActivity.STOPPED)
        else:
            log.warning(
                "speech.failed", token=speech.token, reason=reason, sent="nothing (never started)"
            )
        await self._hand_on(speech)

    async def _hand_on(self, speech: Speech) -> None:
        """Its dialog's waiting directives go on, then the next speech starts."""
        await self._router.release(speech.dialog_request_id)
        if self._current is speech:
            self._current = None
            await self._next()

    async def stop(self, dialog_request_id: str | None, reason: str) -> bool:
        """Stop the speech of ``dialog_request_id`` (None: any) and drop what waits behind it
        (SpeechStopped for one that had started); True when one was playing or waiting."""
        speech = self._current
        dropped = [s for s in self._queue if _of(s, dialog_request_id)]
        for queued in dropped:
            self._queue.remove(queued)
        hit = speech is not None and _of(speech, dialog_request_id)
        if speech is not None and hit:
            self._current = None
            self._cancel_timer()
            if self._starting is not None:
                self._starting.cancel()
            if self._backend is not None:
                await self._backend.stop()
            log.info("speech.stopped", token=speech.token, reason=reason, sounded=speech.started)
            if speech.started:
                self._say(speech, "SpeechStopped", SpeechActivity.STOPPED)
            self._router.drop_dialog(speech.dialog_request_id, reason)
        for queued in dropped:
            self._router.drop_dialog(queued.dialog_request_id, reason)
        if hit:
            await self._next()
        return hit or bool(dropped)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("speech.task_failed", error=repr(task.exception()))

    async def close(self) -> None:
        self._cancel_timer()
        for task in list(self._tasks):
            task.cancel()
        if self._backend is not None:
            await self._backend.close()


def _of(speech: Speech, dialog_request_id: str | None) -> bool:
    return dialog_request_id is None or speech.dialog_request_id == dialog_request_id
