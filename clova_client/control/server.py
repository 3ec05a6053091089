"""The control socket server: owner-only Unix socket, one JSON request and response each.

Started once by the daemon. A stale socket from a crashed run is replaced; one that answers
(another daemon) is refused. Nothing a client sends can crash it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import structlog

from ..agents.speech_recognizer import SpeechRecognizerAgent
from .protocol import (
    MAX_REQUEST_BYTES,
    BadRequest,
    Button,
    Command,
    CommandRefused,
    encode,
    error,
    ok,
    parse_request,
    socket_path,
)
from .voice import parse_voice, serve_voice

log = structlog.get_logger(__name__)

REQUEST_TIMEOUT_S = 10.0
"""A client that connects and sends no complete line in this time is answered and dropped."""
PROBE_TIMEOUT_S = 2.0
MAX_PATH_BYTES = 107  # sun_path is 108 bytes including the terminating NUL


class ControlSocketError(RuntimeError):
    """The socket cannot be set up; the text is one line that says why and where."""


class ControlHandler(Protocol):
    """What the daemon provides; both run on the daemon's event loop."""

    def status(self) -> Mapping[str, Any]:
        """A ``StatusDocument`` (``control.status``)."""
        ...

    async def press(
        self, button: Button, *, token: str | None = None, name: str | None = None
    ) -> Mapping[str, Any]:
        """Act on a button press (``token``: play a chosen item; ``name``: which custom
        button); a ``PressResult``. Raise ``CommandRefused`` to say no."""
        ...

    def begin_dialog(self, dialog_request_id: str) -> Mapping[str, Any]:
        """A new voice dialog started; earlier dialogs' late directives go stale."""
        ...

    async def volume(self, value: int | str | None) -> Mapping[str, Any]:
        """Set (a percentage, "up", "down") or only report the output volume."""
        ...


class ControlServer:
    def __init__(
        self, path: Path, handler: ControlHandler, voice: SpeechRecognizerAgent | None = None
    ) -> None:
        self.path = path
        self._handler = handler
        self._voice = voice
        """The recognitions' agent (``recognize`` / ``listen``); None: refused."""
        self._server: asyncio.Server | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of our socket file
        self._clients: set[asyncio.Task[Any]] = set()

    @classmethod
    def in_dir(
        cls,
        control_dir: Path,
        handler: ControlHandler,
        voice: SpeechRecognizerAgent | None = None,
    ) -> ControlServer:
        """A server on ``control_dir/control.sock`` (``Settings.control_dir``)."""
        return cls(socket_path(control_dir), handler, voice)

    async def start(self) -> None:
        """Bind and listen; raises ``ControlSocketError`` when that is unsafe or impossible."""
        if self._server is not None:
            raise RuntimeError("control server already started")
        if len(os.fsencode(self.path)) > MAX_PATH_BYTES:
            raise ControlSocketError(
                f"control socket path too long ({len(os.fsencode(self.path))} bytes, "
                f"max {MAX_PATH_BYTES}): {self.path}"
            )
        _check_dir(self.path.parent)
        await self._clear_stale()
        sock = _bind(self.path)
        st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, sock=sock, limit=MAX_REQUEST_BYTES
            )
        except BaseException:
            sock.close()
            self._unlink()
            raise
        log.info("control.listening", path=str(self.path))

    async def close(self) -> None:
        """Stop listening, drop clients still connected and remove our socket file."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        await server.wait_closed()
        self._unlink()
        log.info("control.closed", path=str(self.path))

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _clear_stale(self) -> None:
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlSocketError(f"{self.path} exists and is not a socket; remove it")
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self.path)), PROBE_TIMEOUT_S
            )
        except ConnectionRefusedError:
            log.info("control.stale_socket_removed", path=str(self.path))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            return
        except TimeoutError:
            pass  # bound and alive, only too busy to accept
        except OSError as exc:
            raise ControlSocketError(f"cannot probe control socket {self.path}: {exc}") from exc
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        raise ControlSocketError(
            f"another clova-client is already running (its control socket {self.path} answers)"
        )

    def _unlink(self) -> None:
        """Remove the socket file only if it is still the one we bound."""
        try:
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == self._identity:
                os.unlink(self.path)
        except OSError:
            pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            response = await self._answer(reader, writer)
            if response is not None:
                writer.write(encode(response))
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away
        finally:
            if task is not None:
                self._clients.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> dict[str, Any] | None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                line = await reader.readline()
        except ValueError:  # the line outgrew the reader's limit
            return _refuse(f"request too long (max {MAX_REQUEST_BYTES} bytes)")
        except TimeoutError:
            return _refuse(f"no request line within {REQUEST_TIMEOUT_S:g} s")
        if not line.strip():
            return None  # a probe, or a client that gave up
        try:
            request = parse_request(line)
        except BadRequest as exc:
            return _refuse(str(exc))
        peer = _peer(writer)
        if request.cmd in (Command.RECOGNIZE, Command.LISTEN):
            return await self._voice_connection(request.cmd, request.fields or {}, reader, writer)
        try:
            if request.cmd is Command.STATUS:
                log.debug("control.status", **peer)
                return ok(self._handler.status())
            if request.cmd is Command.DIALOG and request.dialog_request_id is not None:
                log.info("control.dialog", dialog_request_id=request.dialog_request_id, **peer)
                return ok(self._handler.begin_dialog(request.dialog_request_id))
            if request.cmd is Command.VOLUME:
                log.info("control.volume", value=request.volume, **peer)
                return ok(await self._handler.volume(request.volume))
            if request.cmd is Command.PRESS and request.button is not None:
                log.info(
                    "control.press",
                    button=request.button.value,
                    token=request.token,
                    name=request.name,
                    **peer,
                )
                return ok(
                    await self._handler.press(
                        request.button, token=request.token, name=request.name
                    )
                )
            raise BadRequest(f"incomplete request for {request.cmd.value}")
        except BadRequest as exc:
            return _refuse(str(exc))
        except CommandRefused as exc:
            log.info("control.refused", cmd=request.cmd.value, reason=str(exc))
            return error(str(exc) or "refused")
        except Exception as exc:
            log.exception("control.handler_failed", cmd=request.cmd.value)
            return error(f"internal error: {type(exc).__name__} (see the daemon log)")

    async def _voice_connection(
        self,
        cmd: Command,
        fields: dict[str, Any],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> dict[str, Any] | None:
        """A recognition or a listener: served on this connection until it is over."""
        if self._voice is None:
            return _refuse("this daemon takes no recognitions")
        try:
            request = parse_voice(fields, listen=cmd is Command.LISTEN)
        except BadRequest as exc:
            return _refuse(str(exc))
        log.info("control.voice", cmd=cmd.value, **_peer(writer))
        try:
            await serve_voice(request, reader, writer, self._voice)
        except Exception:
            log.exception("control.voice_failed", cmd=cmd.value)
            return error("internal error (see the daemon log)")
        return None


def _refuse(message: str) -> dict[str, Any]:
    log.info("control.bad_request", error=message)
    return error(message)


def _check_dir(directory: Path) -> None:
    """Create ``directory`` (0700) if missing; refuse one that others could write to."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(directory)
    except OSError as exc:
        raise ControlSocketError(f"control directory {directory}: {exc.strerror or exc}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise ControlSocketError(f"control directory {directory} is not a directory")
    if st.st_mode & 0o022:
        raise ControlSocketError(
            f"control directory {directory} is group/other writable "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); make it 0755 or stricter"
        )
    if st.st_uid not in (os.geteuid(), 0):
        raise ControlSocketError(
            f"control directory {directory} belongs to uid {st.st_uid}, not to us or root"
        )


def _bind(path: Path) -> socket.socket:
    """A listening socket file created 0600 from the start (umask), never wider."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    try:
        sock.bind(str(path))
    except OSError as exc:
        sock.close()
        raise ControlSocketError(f"cannot bind control socket {path}: {exc.strerror}") from exc
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _peer(writer: asyncio.StreamWriter) -> dict[str, int]:
    """The client's pid and uid (SO_PEERCRED), for the log line."""
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return {}
    try:
        pid, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
    except OSError:
        return {}
    return {"peer_pid": pid, "peer_uid": uid}
