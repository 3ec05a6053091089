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
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import structlog

from ..clock import Clock, LoopClock, within
from ..protocol import Directive, Event
from ..protocol.system import ExceptionPayload
from ..redact import redact_text
from .auth import AuthFailed, RefreshUnavailable, TokenFileError, TokenStore
from .backoff import Backoff
from .delivery import EventDelivery
from .errors import SessionEnded, describe, ended, error_reason, retry_after
from .gate import DownchannelGate
from .inbox import DirectiveInbox, DirectiveRouter
from .outbox import Outbox
from .settings import CicSettings
from .state import ConnectionState, StateListener, StateMachine
from .streamed import NotConnected, StreamOutcome, send_streamed
from .tokens import TokenKeeper
from .transport import Transport, TransportFactory

log = structlog.get_logger(__name__)

_S = ConnectionState
_REFRESH_GUARD_S = 30.0


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
        self._inbox = DirectiveInbox(router, self._clock)
        self.delivery = EventDelivery(  # the outbox's way out: store, flush, wait_delivered
            settings,
            outbox,
            self._tokens,
            self._clock,
            rng,
            self._inbox.read_body,
            self._secrets,
            wall,
        )
        self._exception_refresh_not_before = 0.0  # clock time: after a System.Exception 401
        self._run_task: asyncio.Task[None] | None = None
        self.last_failure: str | None = None
        """Why the connection was last lost (kept after a reconnect), for ``status``."""
        self.retry_at: float | None = None
        self.http_version: str | None = None
        """The HTTP version the server answered the last downchannel request with."""
        self._live: tuple[Transport, DownchannelGate] | None = None
        """The connection events may use now (its Clova.Hello came), for streamed events."""

    # --- public API -----------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._sm.state

    def add_state_listener(self, listener: StateListener) -> Callable[[], None]:
        """``listener(old, new)`` after every transition; returns an unsubscribe function."""
        return self._sm.add_listener(listener)

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        return await self._sm.wait_for(*states)

    async def run(self) -> None:
        """Connect and stay connected until cancelled."""
        if self._run_task is not None:
            raise RuntimeError("CicClient.run() is already running")
        self._run_task = asyncio.current_task()
        dispatcher = asyncio.create_task(self._inbox.dispatch_loop(), name="cic-dispatch")
        connection = asyncio.create_task(self._connect_loop(), name="cic-connection")
        try:
            await asyncio.wait({dispatcher, connection}, return_when=asyncio.FIRST_COMPLETED)
            if not connection.done():  # the dispatcher died: so does run(), and the watchdog
                raise RuntimeError(f"the directive dispatcher ended: {dispatcher!r}")
            connection.result()
        finally:
            # Stopped (or failed): the connection ends before run() returns, so nothing of it
            # outlives ``close()``, which shuts the outbox worker down after it.
            for task in (connection, dispatcher):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
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
        self.delivery.close()

    async def stream_event(self, event: Event, audio: AsyncIterator[bytes]) -> StreamOutcome:
        """Send ``event`` now, on the downchannel's connection, with ``audio`` streamed as its
        audio part (Recognize); returns once the answer's directives have been dispatched.
        NotConnected when there is no such connection now."""
        live = self._live
        if live is None:
            raise NotConnected(f"the connection is {self.state.value}")
        transport, gate = live
        await self._tokens.refresh_if_expiring()
        outcome = await send_streamed(
            transport, gate, event, audio, self._inbox.read_body, self._secrets
        )
        await self._inbox.handled_so_far()
        return outcome

    def register_handlers(self, router: DirectiveRouter) -> None:
        """Route the connection's own directives to it (the composition root calls this):
        ``Clova.Hello`` opens the session, ``System.Exception`` is logged (401: refresh)."""
        router.register("Clova", "Hello", self.hello_received)
        router.register("System", "Exception", self.handle_system_exception)

    async def hello_received(
        self, directive: Directive[Any], attachments: Mapping[str, bytes]
    ) -> None:
        """Clova.Hello reached the router: nothing more to do. The downchannel's own reader
        opened its generation's gate when it read it (a Hello from an event's answer or from an
        older downchannel, however late the router gets to it, opens nothing)."""

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
                await self.delivery.connection_lost()
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
            await self.delivery.connection_lost()
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
                        reason = await error_reason(response, self._secrets())
                        wait = retry_after(response)
                except httpx.HTTPError as exc:
                    raise ended("downchannel", exc) from None
                if status == 401 and not refreshed:
                    log.info("cic.unauthorized", request="downchannel", action="refresh token")
                    await self._tokens.refresh(token)
                    refreshed = True
                    continue
                if status == 401:
                    raise AuthFailed("CIC answered 401 to a freshly refreshed token")
                raise SessionEnded(f"downchannel: {reason}", wait if status == 429 else 0.0)

    def _secrets(self) -> tuple[str, ...]:
        """What must never reach a log line from an error body."""
        return (self._store.access_token,) if self._store.present else ()

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
        gate = DownchannelGate()  # this generation's: its Hello opens it, its end shuts it
        self.delivery.opened()
        reader = asyncio.create_task(
            self._inbox.read_body(response, "downchannel", gate), name="downchannel"
        )
        tasks = {reader}
        try:
            await self._wait_hello(reader, gate)
            self._backoff.connected(self._clock.now())
            self._sm.transition(_S.CONNECTED, "Clova.Hello received")
            self._live = (transport, gate)
            sender = asyncio.create_task(self.delivery.send_loop(transport, gate), name="events")
            tasks |= {sender, asyncio.create_task(self._ping_loop(transport), name="ping")}
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if sender not in done:
                await self.delivery.finish(sender)
            for task in done:
                failure = task.exception()
                if failure is not None:
                    raise failure
            raise SessionEnded("downchannel closed by the server", clean=True)
        finally:
            self._live = None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _wait_hello(self, reader: asyncio.Task[None], gate: DownchannelGate) -> None:
        hello = asyncio.create_task(gate.wait_hello())
        timer = asyncio.create_task(self._clock.sleep(self.settings.hello_timeout_s))
        try:
            await asyncio.wait({reader, hello, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hello.cancel()
            timer.cancel()
        if gate.hello_seen:  # even if the channel ended since: the sender will find it shut
            return
        if reader.done():
            reader.result()  # raises the reader's failure, if any
            raise SessionEnded("downchannel closed before Clova.Hello")
        raise SessionEnded(f"no Clova.Hello within {self.settings.hello_timeout_s} s")

    # --- keep-alive ---------------------------------------------------------------------

    async def _ping_loop(self, transport: Transport) -> None:
        s = self.settings
        while True:
            await self._clock.sleep(s.ping_interval_s)
            await self._tokens.refresh_if_expiring()
            try:
                answer = await within(self._clock, transport.ping(), s.ping_timeout_s)
            except httpx.HTTPError as exc:
                raise SessionEnded(f"ping: {describe(exc)}") from None
            if answer is None:
                raise SessionEnded(f"ping: no answer within {s.ping_timeout_s} s")
            token, response = answer
            log.debug("cic.ping", status=response.status_code)
            if response.status_code == 401:
                await self._tokens.refresh(token)
