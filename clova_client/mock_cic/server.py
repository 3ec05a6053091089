"""MockCicServer: lifecycle and the Python API tests drive (push, wait, faults, responders)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog
from aiohttp import web

from .auth import DEFAULT_TOKENS, TokenStore
from .downchannel import Downchannel
from .faults import FailRule, Faults
from .messages import JsonObject, log_directive
from .records import DeviceBook, DeviceRecord, RecordedEvent
from .responders import Responders

log = structlog.get_logger(__name__)

SUBTYPES = ("related", "form-data")


@dataclass
class QueuedReply:
    """Directives for the 200 answer to the next event of a device (of one name, if given)."""

    directives: list[JsonObject]
    attachments: Mapping[str, bytes] | None = None
    on: str | None = None


class MockCicServer:
    """A CIC look-alike over HTTP/1.1 on loopback, with a control API and fault injection."""

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        media_dir: Path | None = None,
        subtype: str = "related",
        refresh_tokens: Mapping[str, str] | None = None,
        downchannel_conflict_window: float = 0.0,
    ) -> None:
        if subtype not in SUBTYPES:
            raise ValueError(f"subtype must be one of {', '.join(SUBTYPES)}")
        self.host = host
        self.port = port
        self.media_dir = media_dir
        self.subtype = subtype
        self.downchannel_conflict_window = downchannel_conflict_window
        """Seconds within which a second downchannel of a device gets 429 (0: never)."""
        self.auth = TokenStore(tokens if tokens is not None else DEFAULT_TOKENS, refresh_tokens)
        self.devices = DeviceBook()
        self.faults = Faults()
        self.responders = Responders()
        self.downchannels: dict[str, Downchannel] = {}
        self._downchannel_opened_at: dict[str, float] = {}
        self._pending: dict[str, list[tuple[list[JsonObject], Mapping[str, bytes] | None]]] = {}
        self._replies: dict[str, list[QueuedReply]] = {}
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._relisten: asyncio.TimerHandle | None = None
        self._relisten_task: asyncio.Task[None] | None = None

    # lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("mock CIC already running")
        from .routes import build_app

        runner = web.AppRunner(
            build_app(self), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        self._runner = runner
        await self._listen()
        log.info("mock_cic.started", url=self.base_url, subtype=self.subtype)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._cancel_relisten()
        self._close_listener()
        for channel in list(self.downchannels.values()):
            channel.close(abort=True)  # like a server going away: streams are cut, not ended
        self.faults.ignore_pings(False)
        await runner.cleanup()
        log.info("mock_cic.stopped", url=self.base_url)

    async def restart(self) -> None:
        """Stop and start again on the same port (what a client sees when CIC restarts)."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _listen(self) -> None:
        assert self._runner is not None and self._runner.server is not None
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            self._runner.server, self.host, self.port, reuse_address=True
        )
        self.port = self._listener.sockets[0].getsockname()[1]

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _cancel_relisten(self) -> None:
        if self._relisten is not None:
            self._relisten.cancel()
            self._relisten = None
        if self._relisten_task is not None:
            self._relisten_task.cancel()
            self._relisten_task = None
        self.faults.refusing_until = None

    # directives ------------------------------------------------------------------------------

    async def push(
        self, device: str, *directives: JsonObject, attachments: Mapping[str, bytes] | None = None
    ) -> None:
        """Send directives on the device's downchannel (queued until one opens if none is)."""
        self.deliver(device, list(directives), attachments)

    def deliver(
        self,
        device: str,
        directives: list[JsonObject],
        attachments: Mapping[str, bytes] | None = None,
    ) -> bool:
        """Sync push; False when no downchannel is open and the directives wait for one."""
        channel = self.downchannels.get(device)
        if channel is None or channel.closed:
            self._pending.setdefault(device, []).append((directives, attachments))
            for item in directives:
                log_directive(device, item, via="queued until a downchannel opens")
            return False
        for item in directives:
            log_directive(device, item, via="downchannel")
        channel.send(directives, attachments)
        return True

    def reply_next(
        self,
        device: str,
        *directives: JsonObject,
        on: str | None = None,
        attachments: Mapping[str, bytes] | None = None,
    ) -> None:
        """Answer the device's next event (named ``on``, if given) with these directives."""
        reply = QueuedReply(list(directives), attachments, on)
        self._replies.setdefault(device, []).append(reply)

    def take_reply(self, device: str, name: str) -> QueuedReply | None:
        queue = self._replies.get(device, [])
        for reply in queue:
            if reply.on is None or reply.on == name:
                queue.remove(reply)
                return reply
        return None

    def open_downchannel(self, device: str) -> Downchannel | None:
        """Register a new downchannel (Hello and queued pushes first); None means answer 429."""
        old = self.downchannels.get(device)
        now = time.monotonic()
        if old is not None and not old.closed:
            opened = self._downchannel_opened_at.get(device, 0.0)
            if now - opened < self.downchannel_conflict_window:
                return None
            log.info("mock_cic.downchannel_released", device=device, reason="second downchannel")
            old.close()
        channel = Downchannel(device, self.subtype)
        channel.send_hello()
        for items, attachments in self._pending.pop(device, []):
            channel.send(items, attachments)
        self.downchannels[device] = channel
        self._downchannel_opened_at[device] = now
        return channel

    def downchannel_up(self, channel: Downchannel) -> None:
        if self.downchannels.get(channel.device) is channel:
            record = self.devices.get(channel.device)
            record.downchannel_open = True
            record.downchannel_opens += 1
            self.devices.notify()
            log.info("mock_cic.downchannel_open", device=channel.device)

    def downchannel_down(self, channel: Downchannel) -> None:
        channel.closed = True
        if self.downchannels.get(channel.device) is channel:
            del self.downchannels[channel.device]
            self.devices.get(channel.device).downchannel_open = False
            self.devices.notify()
            log.info("mock_cic.downchannel_closed", device=channel.device)

    # events ----------------------------------------------------------------------------------

    def events(self, device: str, name: str | None = None) -> list[RecordedEvent]:
        return list(self.devices.get(device).named(name))

    def device(self, device: str) -> DeviceRecord:
        return self.devices.get(device)

    async def wait_event(
        self,
        device: str,
        name: str,
        *,
        timeout: float = 10,  # noqa: ASYNC109 - the documented test API
        index: int = 0,
    ) -> RecordedEvent:
        """The ``index``-th event called ``name`` (waits for it); TimeoutError after ``timeout``."""
        return await self.devices.wait_event(device, name, within=timeout, index=index)

    async def wait_downchannel(
        self,
        device: str,
        *,
        opened_count: int = 1,
        timeout: float = 10,  # noqa: ASYNC109 - the documented test API
    ) -> None:
        """Wait until the downchannel is open and has been opened ``opened_count`` times."""
        await self.devices.wait_downchannel(device, opened_count=opened_count, within=timeout)

    def refresh_token_for(self, device: str) -> str | None:
        return self.auth.refresh_token_for(device)

    # faults ----------------------------------------------------------------------------------

    def drop_downchannel(self, device: str, *, abort: bool = False) -> bool:
        """End the device's downchannel (``abort``: cut the TCP connection mid-stream)."""
        channel = self.downchannels.get(device)
        log.info("mock_cic.fault", fault="drop_downchannel", device=device, abort=abort)
        if channel is None:
            return False
        channel.close(abort=abort)
        return True

    def refuse_connections(self, seconds: float) -> None:
        """Stop listening and cut every connection; listen again on the same port later."""
        if self._runner is None:
            raise RuntimeError("mock CIC not running")
        log.info("mock_cic.fault", fault="refuse_connections", seconds=seconds)
        self._cancel_relisten()
        self._close_listener()
        for channel in list(self.downchannels.values()):
            channel.close(abort=True)
        assert self._runner.server is not None
        for connection in self._runner.server.connections:
            connection.force_close()
        loop = asyncio.get_running_loop()
        self.faults.refusing_until = time.time() + seconds
        self._relisten = loop.call_later(seconds, self._start_relisten)

    def _start_relisten(self) -> None:
        self._relisten = None
        self._relisten_task = asyncio.get_running_loop().create_task(self._relisten_now())

    async def _relisten_now(self) -> None:
        try:
            await self._listen()
            log.info("mock_cic.listening_again", url=self.base_url)
        except OSError as exc:
            log.error("mock_cic.relisten_failed", error=str(exc))
        finally:
            self.faults.refusing_until = None
            self._relisten_task = None

    def fail_next(
        self,
        n: int,
        status: int,
        *,
        path_prefix: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``n`` protocol requests (under ``path_prefix``) with ``status``."""
        log.info("mock_cic.fault", fault="fail_next", n=n, status=status, path_prefix=path_prefix)
        self.faults.fail_rules.append(FailRule(status, n, path_prefix, retry_after))

    def stall_next_event(self, seconds: float) -> None:
        """Hold the answer to the next event; it is recorded only if the client still waits."""
        log.info("mock_cic.fault", fault="stall_next_event", seconds=seconds)
        self.faults.stalls.append(seconds)

    def ignore_pings(self, on: bool = True) -> None:
        """While on, ``GET /ping`` never answers (until turned off or the client gives up)."""
        log.info("mock_cic.fault", fault="ignore_pings", on=on)
        self.faults.ignore_pings(on)

    def expire_token(self, device: str) -> None:
        """Every current access token of ``device`` answers 401 from now on."""
        revoked = self.auth.expire(device)
        log.info("mock_cic.fault", fault="expire_token", device=device, revoked=revoked)

    # reset -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget events, counters, faults, responders and queued replies/pushes.

        Open connections stay open and tokens issued so far stay valid.
        """
        self.devices.clear()
        self.faults.clear()
        self.responders.clear()
        self._pending.clear()
        self._replies.clear()
        self.auth.reset()
        log.info("mock_cic.reset")
