"""CicClient: keeps one CIC connection alive and moves directives in and events out.

``run()`` loops over connection generations: open the downchannel, wait for Clova.Hello
(CONNECTED), then read directives, ping and drain the outbox until any of them fails; back off
(jittered, reset after a stable connection) and start again. Directives from the downchannel and
from event replies go through one queue to the router, so they are handled in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from dataclasses import dataclass
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, Protocol, TypeVar

import httpx
import structlog

from ..clock import Clock, LoopClock
from ..protocol import Directive, Event
from ..protocol.multipart import MultipartError, MultipartParser, encode_event
from ..protocol.system import ExceptionPayload
from ..redact import redact_text
from .auth import AuthFailed, RefreshUnavailable, TokenFileError, TokenStore
from .backoff import Backoff
from .directives import DirectiveAssembler, Ready
from .errors import SessionEnded, describe, is_graceful_goaway, retry_after
from .messages import event_fields, exception_detail, is_hello
from .outbox import Outbox, PutResult, StoredEvent, is_button
from .settings import CicSettings
from .state import ConnectionState, StateListener, StateMachine
from .tokens import TokenKeeper
from .transport import Transport, TransportFactory

log = structlog.get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
_S = ConnectionState
_RETRY_STATUSES = frozenset({408, 429})
_INBOX_SIZE = 1000
_ERROR_BODY_LIMIT = 64 * 1024
_REFRESH_GUARD_S = 30.0


DirectiveHandler = Callable[[Directive[Any], Mapping[str, bytes]], Awaitable[None]]


class DirectiveRouter(Protocol):
    """What the client needs of ``clova_client.agents.router.Router`` (cic never imports it)."""

    def register(self, namespace: str, name: str, handler: DirectiveHandler) -> None: ...

    def handles(self, namespace: str, name: str) -> bool: ...

    async def dispatch(self, raw: bytes, attachments: Mapping[str, bytes]) -> object: ...


class CicClient:
    """The CIC connection. Only ``run()`` talks to the network; ``send()`` only queues."""

    def __init__(
        self,
        settings: CicSettings,
        token_store: TokenStore,
        outbox: Outbox,
        router: DirectiveRouter,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        *,
        transport_factory: TransportFactory | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._store = token_store
        self._outbox = outbox
        self._router = router
        self._clock: Clock = clock or LoopClock()
        rng = rng or random.Random()
        self._factory = transport_factory
        self._tokens = TokenKeeper(token_store, settings)
        self._sm = StateMachine()
        self._backoff = Backoff(settings.backoff, rng, settings.stable_after_s)
        self._event_backoff = Backoff(settings.backoff, rng, 0.0)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cic-outbox")
        self._inbox: asyncio.Queue[Ready] = asyncio.Queue(maxsize=_INBOX_SIZE)
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._hello = asyncio.Event()
        self._closing = asyncio.Event()
        """Set when the connection is about to close: the sender finishes its event and stops."""
        self._enqueued = 0
        self._exception_refresh_not_before = 0.0  # clock time: after a System.Exception 401
        self._run_task: asyncio.Task[None] | None = None
        self._wall = wall
        self._outcomes: dict[str, asyncio.Future[bool]] = {}
        """messageId -> delivered? for the callers that wait (``wait_delivered``)."""
        self.last_failure: str | None = None
        """Why the connection was last lost (kept after a reconnect), for ``status``."""
        self.retry_at: float | None = None
        self.http_version: str | None = None
        """The HTTP version the server answered the last downchannel request with."""
        if not router.handles("System", "Exception"):
            router.register("System", "Exception", self.handle_system_exception)
        if not router.handles("Clova", "Hello"):
            router.register("Clova", "Hello", _ignore)

    # --- public API -----------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._sm.state

    def add_state_listener(self, listener: StateListener) -> Callable[[], None]:
        """``listener(old, new)`` after every transition; returns an unsubscribe function."""
        return self._sm.add_listener(listener)

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        return await self._sm.wait_for(*states)

    async def send(self, event: Event, audio: bytes | None = None) -> PutResult:
        """Queue an event; returns once it is durable in the outbox (sent later, in order)."""
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
            return bool(await self._within(asyncio.shield(outcome), within_s))
        finally:
            if outcome.done() or len(self._outcomes) > _INBOX_SIZE:
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
            await self._within(self._drained.wait(), timeout)
        return await self.pending()

    async def run(self) -> None:
        """Connect and stay connected until cancelled."""
        if self._run_task is not None:
            raise RuntimeError("CicClient.run() is already running")
        self._run_task = asyncio.current_task()
        dispatcher = asyncio.create_task(self._dispatch_loop(), name="cic-dispatch")
        self._wakeup.set()
        try:
            connection = asyncio.create_task(self._connect_loop(), name="cic-connection")
            await asyncio.wait({dispatcher, connection}, return_when=asyncio.FIRST_COMPLETED)
            if not connection.done():  # the dispatcher died: so does run(), and the watchdog
                connection.cancel()
                await asyncio.gather(connection, return_exceptions=True)
                raise RuntimeError(f"the directive dispatcher ended: {dispatcher!r}")
            connection.result()
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            if self._sm.state is not _S.DISCONNECTED:
                self._sm.transition(_S.DISCONNECTED, "stopped")
            self._run_task = None

    async def close(self) -> None:
        """Stop ``run()`` if it is running and release the outbox worker (final)."""
        task = self._run_task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._db.shutdown(wait=True)

    async def handle_system_exception(
        self, directive: Directive[Any], attachments: Mapping[str, bytes]
    ) -> None:
        """Log a System.Exception; a 401 refreshes the token (registered unless already taken)."""
        payload = directive.payload
        if not isinstance(payload, ExceptionPayload):
            return
        log.warning(
            "cic.system_exception",
            code=payload.code,
            description=redact_text(payload.description or "", (self._store.access_token,)),
        )
        if payload.status == 401:
            await self.refresh_token()

    async def refresh_token(self) -> None:
        """Refresh the access token now (a System.Exception 401); never raises.

        At most once per 30 s: the exception does not say which token it was about, and the
        401 answers to requests already refresh by themselves.
        """
        if self._clock.now() < self._exception_refresh_not_before:
            return
        self._exception_refresh_not_before = self._clock.now() + _REFRESH_GUARD_S
        try:
            await self._tokens.refresh(self._store.access_token)
        except (AuthFailed, RefreshUnavailable, OSError) as exc:
            log.error("cic.token_refresh_failed", reason=describe(exc))

    # --- connection generations -----------------------------------------------------------

    async def _wait_for_token_file(self) -> None:
        """First boot: no token file yet. Watch for it; a bad one is logged once and waited
        out too (a technician is at work), until a valid file appears."""
        path = self._store.path
        self._sm.transition(_S.WAITING_FOR_TOKEN, f"no token file {path}")
        log.warning(
            "cic.waiting_for_token",
            file=str(path),
            action="connects as soon as a valid token file appears (clova-client token set)",
        )
        last_problem: str | None = None
        while True:
            await self._clock.sleep(self.settings.token_poll_s)
            if not path.exists():
                continue
            try:
                self._store.reload()
            except TokenFileError as exc:
                if str(exc) != last_problem:
                    last_problem = str(exc)
                    log.error("cic.token_file_unusable", reason=last_problem)
                continue
            log.info("cic.token_file_found", file=str(path))
            return

    async def _connect_loop(self) -> None:
        reason = "start"
        if not self._store.present:
            await self._wait_for_token_file()
            reason = "token file found"
        while True:
            self._sm.transition(_S.CONNECTING, reason)
            try:
                await self._session()
                failure = SessionEnded("session ended")
            except AuthFailed as exc:
                self._backoff.lost(self._clock.now())
                delay = self._backoff.next_delay()
                self._note_failure(str(exc), delay)
                self._sm.transition(_S.AUTH_FAILED, str(exc))
                log.error("cic.auth_failed", reason=str(exc), retry_in_s=round(delay, 3))
                await self._clock.sleep(delay)
                self._reload_token_file()
                reason = "retry after auth failure"
                continue
            except RefreshUnavailable as exc:
                failure = SessionEnded(f"token refresh: {exc}")
            except SessionEnded as exc:
                failure = exc
            except (OSError, sqlite3.Error) as exc:  # disk full, token file or outbox trouble
                log.exception("cic.local_error", reason=describe(exc))
                failure = SessionEnded(f"local error: {describe(exc)}")
            except Exception as exc:  # a bug must not end the connection for good: log, retry
                log.exception("cic.unexpected_error", reason=describe(exc))
                failure = SessionEnded(f"unexpected error: {describe(exc)}")
            now = self._clock.now()
            if failure.clean and self._backoff.uptime(now) >= self.settings.reopen_at_once_after_s:
                # "A closed downchannel is reopened at once" (CIC); only a channel closed right
                # after it opened goes through the backoff, so a closing loop cannot spin.
                self._backoff.lost(now)
                log.info("cic.downchannel_closed", reason=failure.reason, action="reopen at once")
                reason = failure.reason
                continue
            stable = self._backoff.lost(now)
            delay = self._backoff.next_delay(failure.retry_after)
            self._note_failure(failure.reason, delay)
            self._sm.transition(_S.BACKING_OFF, failure.reason)
            log.warning(
                "cic.reconnect_scheduled",
                reason=failure.reason,
                delay_s=round(delay, 3),
                attempt=self._backoff.attempt,
                backoff_reset=stable,
            )
            await self._clock.sleep(delay)
            reason = f"retry {self._backoff.attempt}"

    def _note_failure(self, reason: str, delay: float) -> None:
        self.last_failure = reason
        self.retry_at = self._clock.now() + delay

    def retry_in(self) -> float | None:
        """Seconds until the next connection attempt while BACKING_OFF / AUTH_FAILED."""
        if self.state not in (_S.BACKING_OFF, _S.AUTH_FAILED) or self.retry_at is None:
            return None
        return max(0.0, self.retry_at - self._clock.now())

    def _reload_token_file(self) -> None:
        try:
            if self._store.reload():
                log.info("cic.token_file_changed", file=str(self._store.path))
        except TokenFileError as exc:
            log.error("cic.token_file_unusable", reason=str(exc))

    async def _session(self) -> None:
        """One connection generation; always ends with an exception saying why."""
        await self._tokens.refresh_if_expiring()
        async with Transport(self.settings, self._tokens.access_token, self._factory) as transport:
            refreshed = False
            while True:
                token, request = transport.downchannel()
                try:
                    async with request as response:
                        status = response.status_code
                        self._check_http2(response)
                        if status == 200:
                            await self._serve(transport, response)
                        reason = await self._error_reason(response)
                        wait = retry_after(response)
                except httpx.HTTPError as exc:
                    raise _ended("downchannel", exc) from None
                if status == 401 and not refreshed:
                    log.info("cic.unauthorized", request="downchannel", action="refresh token")
                    await self._tokens.refresh(token)
                    refreshed = True
                    continue
                if status == 401:
                    raise AuthFailed("CIC answered 401 to a freshly refreshed token")
                raise SessionEnded(f"downchannel: {reason}", wait if status == 429 else 0.0)

    def _check_http2(self, response: httpx.Response) -> None:
        """CIC speaks HTTP/2 only and answers 412 to events off the downchannel's connection:
        a server that negotiated anything else is a configuration error, said plainly."""
        self.http_version = response.http_version
        if self.settings.http2 and response.http_version != "HTTP/2":
            log.error(
                "cic.http2_required",
                http_version=response.http_version,
                base_url=self.settings.root,
                reason="the server did not negotiate HTTP/2 (ALPN h2); CIC speaks HTTP/2 only",
            )
            raise SessionEnded(
                f"the server answered with {response.http_version}, not HTTP/2 "
                "(no ALPN h2: a proxy, or not a CIC server)"
            )

    async def _serve(self, transport: Transport, response: httpx.Response) -> None:
        self._hello.clear()
        self._closing.clear()
        reader = asyncio.create_task(self._read_body(response, "downchannel"), name="downchannel")
        tasks = {reader}
        try:
            await self._wait_hello(reader)
            self._backoff.connected(self._clock.now())
            self._sm.transition(_S.CONNECTED, "Clova.Hello received")
            sender = asyncio.create_task(self._send_loop(transport), name="events")
            tasks |= {sender, asyncio.create_task(self._ping_loop(transport), name="ping")}
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if sender not in done:
                await self._let_sender_finish(sender)
            for task in done:
                failure = task.exception()
                if failure is not None:
                    raise failure
            raise SessionEnded("downchannel closed by the server", clean=True)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _let_sender_finish(self, sender: asyncio.Task[None]) -> None:
        """The connection is ending: an event whose POST is under way gets its answer (up to
        ``event_drain_s``), so one that CIC accepted is removed from the outbox, never sent
        twice; no new event starts on this connection."""
        self._closing.set()
        self._wakeup.set()
        await self._within(asyncio.shield(sender), self.settings.event_drain_s)
        if not sender.done():
            log.warning("cic.event_cut_off", reason="no answer before the connection closed")

    async def _wait_hello(self, reader: asyncio.Task[None]) -> None:
        hello = asyncio.create_task(self._hello.wait())
        timer = asyncio.create_task(self._clock.sleep(self.settings.hello_timeout_s))
        try:
            await asyncio.wait({reader, hello, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hello.cancel()
            timer.cancel()
        if self._hello.is_set():
            return
        if reader.done():
            reader.result()  # raises the reader's failure, if any
            raise SessionEnded("downchannel closed before Clova.Hello")
        raise SessionEnded(f"no Clova.Hello within {self.settings.hello_timeout_s} s")

    # --- reading directives ---------------------------------------------------------------

    async def _read_body(self, response: httpx.Response, source: str) -> None:
        """Parse a multipart body as it arrives; queue each directive once complete.

        A directive waiting for its ``cid:`` attachment is let go after ``ATTACHMENT_WAIT_S``
        even when no byte arrives (a timer on the injected clock); a close delimiter
        (``--boundary--``) ends the body, so a downchannel that sends one is reopened.
        """
        downchannel = source == "downchannel"

        def missing(raw: bytes, content_ids: list[str]) -> None:
            log.warning("cic.attachment_missing", source=source, content_ids=content_ids)

        assembler = DirectiveAssembler(missing)
        in_order = asyncio.Lock()  # what one call releases is queued before the next call's
        held = asyncio.Event()

        async def queue(ready: list[Ready]) -> None:
            for item in ready:
                await self._queue_directive(item, downchannel)

        async def let_go() -> None:
            """Release held directives whose wait ran out, with no byte arriving."""
            while True:
                deadline = assembler.deadline
                if deadline is None:
                    await held.wait()
                    held.clear()
                    continue
                if deadline > self._clock.now():
                    await self._clock.sleep(deadline - self._clock.now())
                async with in_order:
                    await queue(assembler.expire(self._clock.now()))

        waiter = asyncio.create_task(let_go(), name=f"{source} attachment wait")
        try:
            parser = MultipartParser.from_content_type(response.headers.get("content-type", ""))
            async for chunk in response.aiter_bytes():
                parts = parser.feed(chunk)
                async with in_order:
                    for part in parts:
                        await queue(assembler.add(part, self._clock.now()))
                if assembler.deadline is not None:
                    held.set()
                if parser.closed:
                    break
            async with in_order:
                await queue(assembler.finish())
        except MultipartError as exc:
            if downchannel:
                raise SessionEnded(f"downchannel: malformed multipart: {exc}") from None
            log.warning("cic.bad_response_body", source=source, reason=str(exc))
        except httpx.HTTPError as exc:
            raise _ended(source, exc) from None
        finally:
            waiter.cancel()

    async def _queue_directive(self, ready: Ready, downchannel: bool) -> None:
        if downchannel and not self._hello.is_set() and is_hello(ready[0]):
            self._hello.set()
        await self._inbox.put(ready)

    async def _error_reason(self, response: httpx.Response) -> str:
        """``HTTP 400 (System.Exception 400: Could not decode multipart)`` from an error reply."""
        text = f"HTTP {response.status_code}"
        try:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _ERROR_BODY_LIMIT:
                    return text
        except httpx.HTTPError:
            return text
        detail = exception_detail(response.headers.get("content-type", ""), body)
        return f"{text} ({redact_text(detail, (self._store.access_token,))})" if detail else text

    async def _dispatch_loop(self) -> None:
        """Hand each directive to the router, in order; nothing a directive holds ends it."""
        while True:
            raw, attachments = await self._inbox.get()
            try:
                await self._router.dispatch(raw, attachments)
            except Exception:
                log.exception("cic.dispatch_failed", size=len(raw))

    # --- keep-alive ---------------------------------------------------------------------

    async def _ping_loop(self, transport: Transport) -> None:
        s = self.settings
        while True:
            await self._clock.sleep(s.ping_interval_s)
            await self._tokens.refresh_if_expiring()
            try:
                answer = await self._within(transport.ping(), s.ping_timeout_s)
            except httpx.HTTPError as exc:
                raise SessionEnded(f"ping: {describe(exc)}") from None
            if answer is None:
                raise SessionEnded(f"ping: no answer within {s.ping_timeout_s} s")
            token, response = answer
            log.debug("cic.ping", status=response.status_code)
            if response.status_code == 401:
                await self._tokens.refresh(token)

    # --- sending events -------------------------------------------------------------------

    async def _send_loop(self, transport: Transport) -> None:
        """Deliver the outbox in order until the connection starts closing."""
        while not self._closing.is_set():
            seen = self._enqueued
            head = await self._in_db(self._outbox.peek, 1)
            if not head:
                self._drained.set()
                if self._enqueued == seen and not self._closing.is_set():
                    self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._deliver(transport, head[0])

    async def _deliver(self, transport: Transport, stored: StoredEvent) -> None:
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
            posted = await self._within(
                self._post(transport, stored, body, content_type, answer),
                self.settings.event_timeout_s,
            )
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
            if 400 <= status < 500 and status not in _RETRY_STATUSES:
                await self._in_db(self._outbox.remove, stored.seq)
                self._settle(stored.message_id, False)
                log.error(
                    "event_dropped", status=status, reason=f"CIC rejected it: {problem}", **fields
                )
                return
            if self._closing.is_set():
                log.info("event_retry", reason=problem, when="on the next connection", **fields)
                return
            delay = self._event_backoff.next_delay(wait)
            log.warning("event_retry", reason=problem, delay_s=round(delay, 3), **fields)
            await self._clock.sleep(delay)

    async def _post(
        self,
        transport: Transport,
        stored: StoredEvent,
        body: bytes,
        content_type: str,
        answer: _Answer,
    ) -> _Answer:
        """One POST of the event; fills ``answer``. A 2xx removes the event from the outbox in
        a task of its own (``answer.removed``), which a timeout cannot cut short."""
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
                answer.problem = await self._error_reason(response)
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

    # --- helpers --------------------------------------------------------------------------

    async def _in_db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    async def _within(self, aw: Awaitable[T], seconds: float) -> T | None:
        """``aw``'s result, or None if the injected clock says ``seconds`` passed first."""
        task = asyncio.ensure_future(aw)
        timer = asyncio.create_task(self._clock.sleep(seconds))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return task.result() if not task.cancelled() else None


@dataclass
class _Answer:
    """What one POST of an event got back."""

    token: str = ""
    status: int = 0
    problem: str = ""
    wait: float = 0.0
    accepted: bool = False
    removed: asyncio.Future[None] | None = None


def _ended(what: str, exc: httpx.HTTPError) -> SessionEnded:
    """The connection failed under ``what``; a graceful GOAWAY is a clean end (reopen at once)."""
    if is_graceful_goaway(exc):
        return SessionEnded(f"{what}: the server sent GOAWAY", clean=True)
    return SessionEnded(f"{what}: {describe(exc)}")


async def _ignore(directive: Directive[Any], attachments: Mapping[str, bytes]) -> None:
    return None
