"""EventDelivery: the outbox's way to CIC. Stores events (durable), sends them in order over
the connection of the moment, and lets an event under way get its answer before that connection
closes, so an event CIC accepted is never sent twice.

Every POST, whatever queued the event and however often it is retried, goes out only while the
generation's ``DownchannelGate`` is open (its Clova.Hello arrived, its downchannel has not
ended), checked right before the request starts: CIC would answer 412 and count it against the
device. An event that finds the gate shut stays first in the outbox for the next connection."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import httpx
import structlog

from ..clock import Clock, within
from ..protocol import Event
from ..protocol.multipart import encode_event
from .auth import AuthFailed
from .backoff import Backoff
from .errors import SessionEnded, describe, error_reason, retry_after
from .gate import DownchannelGate
from .messages import event_fields
from .outbox import Outbox
from .outbox_items import PutResult, StoredEvent, is_button
from .settings import CicSettings
from .tokens import TokenKeeper
from .transport import Transport

log = structlog.get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 429})
MAX_WAITERS = 1000


@dataclass
class _Answer:
    """What one POST of an event got back."""

    token: str = ""
    status: int = 0
    problem: str = ""
    wait: float = 0.0
    accepted: bool = False
    removed: asyncio.Future[None] | None = None
    held: bool = False
    """Not POSTed: the downchannel had ended (the event waits for the next connection)."""


class EventDelivery:
    def __init__(
        self,
        settings: CicSettings,
        outbox: Outbox,
        tokens: TokenKeeper,
        clock: Clock,
        rng: random.Random,
        read_body: Callable[[httpx.Response, str], Awaitable[None]],
        secrets: Callable[[], tuple[str, ...]],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._outbox = outbox
        self._tokens = tokens
        self._clock = clock
        self._read_body = read_body
        self._secrets = secrets
        self._wall = wall
        self._event_backoff = Backoff(settings.backoff, rng, 0.0)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cic-outbox")
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._closing = asyncio.Event()
        """Set when the connection is about to close: the sender finishes its event and stops."""
        self._enqueued = 0
        self._outcomes: dict[str, asyncio.Future[bool]] = {}
        """messageId -> delivered? for the callers that wait (``wait_delivered``)."""

    def opened(self) -> None:
        """A new connection: sending may start (again)."""
        self._closing.clear()
        self._wakeup.set()

    async def connection_lost(self) -> None:
        """The connection ended: events wait on disk from now on, not in memory."""
        await self._in_db(self._outbox.connection_lost)

    def close(self) -> None:
        """Release the outbox worker (final)."""
        self._db.shutdown(wait=True)

    async def store(self, event: Event, audio: bytes | None = None) -> PutResult:
        """Queue an event; returns once it is durable in the outbox (sent later, in order)."""
        result = self._outbox.put_now(event, audio)  # no thread hop when no disk is due
        if result is None:
            result = await self._in_db(self._outbox.put, event, audio)
        if result.stored:
            self._enqueued += 1
            self._drained.clear()
            self._wakeup.set()
            log.debug("event_queued", event_name=event.full_name, message_id=event.message_id)
        return result

    async def wait_delivered(self, message_id: str, within_s: float) -> bool:
        """True once CIC accepted the event; False when it was dropped or ``within_s`` passed
        first (a button's event is then dropped when its time runs out)."""
        loop = asyncio.get_running_loop()
        outcome = self._outcomes.setdefault(message_id, loop.create_future())
        try:
            return bool(await within(self._clock, asyncio.shield(outcome), within_s))
        finally:
            if outcome.done() or len(self._outcomes) > MAX_WAITERS:
                self._outcomes.pop(message_id, None)

    def _settle(self, message_id: str, delivered: bool) -> None:
        outcome = self._outcomes.get(message_id)
        if outcome is not None and not outcome.done():
            outcome.set_result(delivered)

    async def pending(self) -> int:
        return await self._in_db(self._outbox.count)

    async def flush(self, timeout: float) -> int:  # noqa: ASYNC109 - the injected clock times it
        """Wait up to ``timeout`` s for the outbox to empty; returns the events still pending."""
        if await self.pending():
            await within(self._clock, self._drained.wait(), timeout)
        return await self.pending()

    async def send_loop(self, transport: Transport, gate: DownchannelGate) -> None:
        """Deliver the outbox in order until the connection starts closing; nothing more once
        ``gate`` has shut (its downchannel ended: the session is about to close)."""
        woken = False
        while not self._closing.is_set():
            if not gate.open:
                await self._closing.wait()
                return
            seen = self._enqueued
            # Woken by a new event: no thread hop. Right after an answer, one, as ever: an end
            # of the downchannel CIC sends right after its answer is seen first.
            head = self._outbox.peek_now(1) if woken else None
            if head is None:
                head = await self._in_db(self._outbox.peek, 1)
            woken = False
            if not head:
                self._drained.set()
                if self._enqueued == seen and not self._closing.is_set():
                    self._wakeup.clear()
                await self._wakeup.wait()
                woken = True
                continue
            await self._deliver(transport, gate, head[0])

    async def finish(self, sender: asyncio.Task[None]) -> None:
        """The connection is ending: an event whose POST is under way gets its answer (up to
        ``event_drain_s``), so one that CIC accepted is removed from the outbox, never sent
        twice; no new event starts on this connection."""
        self._closing.set()
        self._wakeup.set()
        await within(self._clock, asyncio.shield(sender), self.settings.event_drain_s)
        if not sender.done():
            log.warning("cic.event_cut_off", reason="no answer before the connection closed")

    async def _deliver(
        self, transport: Transport, gate: DownchannelGate, stored: StoredEvent
    ) -> None:
        """Send the oldest event until it is accepted, rejected for good, or the link fails."""
        await self._tokens.refresh_if_expiring()
        fields = event_fields(stored)
        age = self._wall() - stored.created_at
        if is_button(stored.full_name) and age > self.settings.button_ttl_s:
            await self._in_db(self._outbox.remove, stored.seq)
            self._settle(stored.message_id, False)
            log.warning(
                "event_expired",
                reason=f"a button press not delivered within {self.settings.button_ttl_s:g} s",
                age_s=round(age, 1),
                **fields,
            )
            return
        try:
            body, content_type = encode_event(stored.body, stored.audio)
        except (ValueError, TypeError) as exc:  # UnicodeEncodeError is a ValueError
            await self._in_db(self._outbox.remove, stored.seq)
            self._settle(stored.message_id, False)
            log.error("event_dropped", reason=f"cannot be encoded: {describe(exc)}", **fields)
            return
        refreshed = False
        while True:
            answer = _Answer()
            posted = await within(
                self._clock,
                self._post(transport, gate, stored, body, content_type, answer),
                self.settings.event_timeout_s,
            )
            if answer.held:
                log.info(
                    "event_held",
                    reason=f"not sent: {gate.ending}",
                    when="after the next connection's Clova.Hello",
                    **fields,
                )
                return
            if answer.accepted and answer.removed is not None:  # CIC has it, timer or not
                await answer.removed
                log.info("event_sent", status=answer.status, **fields)
                return
            if posted is None:  # over HTTP/2 httpx's own read timeout cannot see a stall
                answer.status = 0
                answer.problem = f"no answer within {self.settings.event_timeout_s:g} s"
            status, problem, wait, token = (
                answer.status,
                answer.problem,
                answer.wait,
                answer.token,
            )
            if status == 401:
                if refreshed:
                    raise AuthFailed("CIC answered 401 to a freshly refreshed token")
                log.info("cic.unauthorized", request="event", action="refresh token", **fields)
                await self._tokens.refresh(token)
                refreshed = True
                continue
            if status == 412:
                raise SessionEnded("event answered 412: not on the downchannel's connection")
            if 400 <= status < 500 and status not in RETRY_STATUSES:
                await self._in_db(self._outbox.remove, stored.seq)
                self._settle(stored.message_id, False)
                log.error(
                    "event_dropped", status=status, reason=f"CIC rejected it: {problem}", **fields
                )
                return
            if self._closing.is_set() or not gate.open:
                log.info("event_retry", reason=problem, when="on the next connection", **fields)
                return
            delay = self._event_backoff.next_delay(wait)
            log.warning("event_retry", reason=problem, delay_s=round(delay, 3), **fields)
            await self._clock.sleep(delay)

    async def _post(
        self,
        transport: Transport,
        gate: DownchannelGate,
        stored: StoredEvent,
        body: bytes,
        content_type: str,
        answer: _Answer,
    ) -> _Answer:
        """One POST of the event; fills ``answer``. A 2xx removes the event from the outbox in
        a task of its own (``answer.removed``), which a timeout cannot cut short. Not sent at
        all (``answer.held``) when the gate is shut: checked with no await before the request
        starts, so an end the reader has seen by then keeps it off the connection."""
        if not gate.open:
            answer.held = True
            return answer
        answer.token, request = transport.event(body, content_type)
        try:
            async with request as response:
                answer.status = response.status_code
                if 200 <= answer.status < 300:
                    answer.accepted = True
                    answer.removed = asyncio.ensure_future(self._accepted(stored))
                    if answer.status == 200:
                        await self._read_body(response, f"event {stored.message_id}")
                    await asyncio.shield(answer.removed)
                    return answer
                answer.problem = await error_reason(response, self._secrets())
                answer.wait = retry_after(response)
        except httpx.TimeoutException as exc:
            answer.status, answer.problem = 0, describe(exc)
        except httpx.HTTPError as exc:
            raise SessionEnded(f"event {stored.full_name}: {describe(exc)}") from None
        return answer

    async def _accepted(self, stored: StoredEvent) -> None:
        await self._in_db(self._outbox.remove, stored.seq)
        self._event_backoff.reset()
        self._settle(stored.message_id, True)

    async def _in_db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))
