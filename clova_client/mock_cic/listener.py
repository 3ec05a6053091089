"""The CIC port: hypercorn's HTTP/2 protocol on our own asyncio listener, in the caller's loop.

We accept TCP (and TLS) ourselves and hand each connection to hypercorn's ``TCPServer`` with its
own ``WorkerContext``, so each connection can be told apart (``scope["state"]`` carries its
``Connection``), cut (``abort``) or sent away gracefully (``go_away``: hypercorn then refuses new
streams with RST_STREAM, and once the open ones ended sends GOAWAY(NO_ERROR) and closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable

import structlog
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.typing import AppWrapper

from .cic_app import connection_state
from .connections import Connection
from .state import MockState

log = structlog.get_logger(__name__)

STOP_GRACE = 2.0
"""Seconds stop() waits for aborted connections to wind down before cancelling them."""


def hypercorn_config() -> Config:
    config = Config()
    config.include_server_header = False
    config.keep_alive_timeout = 60  # an idle connection (no stream at all) is closed after this
    config.keep_alive_max_requests = 2**62  # CIC never GOAWAYs a busy connection by itself
    config.ssl_handshake_timeout = 10
    config.errorlog = logging.getLogger("clova_client.mock_cic.hypercorn")
    config.accesslog = None
    return config


class _Reader(asyncio.StreamReader):
    """A StreamReader that says when the peer is gone (EOF or error)."""

    on_end: Callable[[], None] | None = None

    def feed_eof(self) -> None:
        super().feed_eof()
        self._ended()

    def set_exception(self, exc: Exception) -> None:
        super().set_exception(exc)
        self._ended()

    def _ended(self) -> None:
        callback, self.on_end = self.on_end, None
        if callback is not None:
            callback()


class _Control:
    """ConnectionControl of one hypercorn connection (its own WorkerContext)."""

    def __init__(self, writer: asyncio.StreamWriter, context: WorkerContext) -> None:
        self._writer = writer
        self._context = context
        self._deadline: asyncio.TimerHandle | None = None
        self._ending: asyncio.Task[None] | None = None

    def abort(self) -> None:
        self._writer.transport.abort()
        self.peer_gone()

    def peer_gone(self) -> None:
        """Let hypercorn wind the connection down now, not after its keep-alive timeout."""
        if self._ending is None:
            self._ending = asyncio.get_running_loop().create_task(self._context.terminated.set())

    async def go_away(self, grace: float) -> None:
        await self._context.terminated.set()
        self._deadline = asyncio.get_running_loop().call_later(grace, self.abort)

    def done(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()


class CicListener:
    """Listens on ``host:port`` (port 0: a free one, kept for restarts) until stopped."""

    def __init__(
        self,
        app: AppWrapper,
        state: MockState,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
    ) -> None:
        self._app = app
        self._state = state
        self.host = host
        self.port = port
        self._tls = tls
        self._config = hypercorn_config()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._relisten: asyncio.TimerHandle | None = None
        self._relisten_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._listen()

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.StreamReaderProtocol:
            return asyncio.StreamReaderProtocol(_Reader(loop=loop), self._serve, loop=loop)

        self._server = await loop.create_server(
            protocol,
            self.host,
            self.port,
            ssl=self._tls,
            ssl_handshake_timeout=10 if self._tls else None,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _abort_all(self) -> list[Connection]:
        live = self._state.connections.live()
        for connection in live:
            connection.abort()
        return live

    async def stop(self) -> None:
        """Stop listening and cut every connection (streams are cut, not ended)."""
        self._cancel_relisten()
        self._close_listener()
        self._abort_all()
        tasks = set(self._tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def refuse(self, seconds: float) -> None:
        """Stop listening and cut every connection; listen again on the same port later."""
        self._cancel_relisten()
        self._close_listener()
        self._abort_all()
        self._state.faults.refusing_until = time.time() + seconds
        loop = asyncio.get_running_loop()
        self._relisten = loop.call_later(seconds, self._start_relisten)

    def _start_relisten(self) -> None:
        self._relisten = None
        self._relisten_task = asyncio.get_running_loop().create_task(self._relisten_now())

    async def _relisten_now(self) -> None:
        try:
            await self._listen()
            log.info("mock_cic.listening_again", port=self.port)
        except OSError as exc:
            log.error("mock_cic.relisten_failed", error=str(exc))
        finally:
            self._state.faults.refusing_until = None
            self._relisten_task = None

    def _cancel_relisten(self) -> None:
        if self._relisten is not None:
            self._relisten.cancel()
            self._relisten = None
        if self._relisten_task is not None:
            self._relisten_task.cancel()
            self._relisten_task = None
        self._state.faults.refusing_until = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection, from accept to close (hypercorn speaks HTTP on it)."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        ssl_object = writer.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        peer = writer.get_extra_info("peername")
        context = WorkerContext(None)
        control = _Control(writer, context)
        connection = self._state.connections.new(
            f"{peer[0]}:{peer[1]}", tls=ssl_object is not None, alpn=alpn, control=control
        )

        def peer_gone() -> None:
            self._state.connections.closed(connection)
            control.peer_gone()

        if isinstance(reader, _Reader):
            reader.on_end = peer_gone
        log.debug("mock_cic.connection_open", connection=connection.id, alpn=alpn)
        loop = asyncio.get_running_loop()
        try:
            await TCPServer(
                self._app, loop, self._config, context, connection_state(connection), reader, writer
            )
        except (OSError, ssl.SSLError):
            pass  # the peer went away mid-close
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                writer.transport.abort()
        except Exception as exc:  # hypercorn's own trouble: log it, end this connection only
            log.warning("mock_cic.connection_error", connection=connection.id, error=repr(exc))
        finally:
            control.done()
            self._state.connections.closed(connection)
            self._tasks.discard(task)
            log.debug("mock_cic.connection_closed", connection=connection.id)
