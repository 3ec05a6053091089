"""MockCicServer: the two ports' lifecycle and the Python API tests drive.

The CIC port speaks HTTP/2 only (TLS with ALPN h2 and a throw-away CA, or h2c with prior
knowledge); the control API, media files and ``/token`` are on a second, plain HTTP/1.1 port.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import structlog
from aiohttp import web
from hypercorn.typing import ASGIFramework
from hypercorn.utils import wrap_app

from .auth import MockTokens
from .cic_app import CicApp
from .connections import Connection
from .downchannel import Downchannel
from .fault_table import DEFAULT_GOAWAY_GRACE, inject
from .faults import Faults
from .listener import CicListener
from .messages import JsonObject
from .records import DeviceBook, DeviceRecord, RecordedEvent
from .remote import parse_remote
from .responders import Responders
from .rules import Rules
from .state import SUBTYPES, MockState
from .tls import ServerTls
from .voice import Voice
from .web_app import build_web_app

log = structlog.get_logger(__name__)

__all__ = ["SUBTYPES", "MockCicServer"]


class MockCicServer:
    """A CIC look-alike on loopback: HTTP/2 CIC port, plain control/media/token port, faults."""

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        media_dir: Path | None = None,
        subtype: str = "related",
        refresh_tokens: Mapping[str, str] | None = None,
        tls: bool = True,
        ca_file: Path | None = None,
        rules: Rules | None = None,
        downchannel_conflict_window: float | None = None,
    ) -> None:
        self.state = MockState(tokens, refresh_tokens, subtype=subtype, rules=rules)
        if downchannel_conflict_window is not None:
            self.state.rules.downchannel_conflict_window = downchannel_conflict_window
        self.host = host
        self.port = port
        self.control_port = control_port
        self.media_dir = media_dir
        self.tls = tls
        self._ca_path = ca_file
        self._tls: ServerTls | None = None
        self._listener: CicListener | None = None
        self._runner: web.AppRunner | None = None

    # addresses -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The CIC URL: ``https://`` (TLS, ALPN h2) or ``http://`` (h2c, prior knowledge)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def control_url(self) -> str:
        """Plain HTTP/1.1: ``/_mock/`` (control API), ``/media/`` and ``/token``."""
        return f"http://{self.host}:{self.control_port}"

    @property
    def auth_url(self) -> str:
        return f"{self.control_url}/token"

    def media_url(self, name: str = "") -> str:
        """URL of a file under ``media_dir`` (``""``: the media base URL, no trailing slash)."""
        base = f"{self.control_url}/media"
        return f"{base}/{name.lstrip('/')}" if name else base

    @property
    def ca_file(self) -> Path | None:
        """PEM of the CA that signed the CIC port's certificate (None with ``tls=False``)."""
        return self._tls.ca_file if self._tls is not None else None

    def server_info(self) -> dict[str, Any]:
        """What ``GET /_mock/devices`` shows under ``server`` (scenarios read it)."""
        ca_file = self.ca_file
        return {
            "cic_url": self.base_url,
            "control_url": self.control_url,
            "media_url": self.media_url(),
            "auth_url": self.auth_url,
            "tls": self.tls,
            "ca_file": str(ca_file) if ca_file is not None else None,
        }

    # lifecycle -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("mock CIC already running")
        if self.tls and self._tls is None:
            self._tls = ServerTls(self.host, self._ca_path or self._temporary_ca_path())
        runner = web.AppRunner(
            build_web_app(self.state, self.media_dir, self.server_info),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.control_port, reuse_address=True)
        await site.start()
        self.control_port = runner.addresses[0][1]
        self._runner = runner
        self.state.voice.audio.base_url = f"{self.control_url}/voice"
        await self._start_cic()
        self.state.refuse = self._refuse
        log.info("mock_cic.started", url=self.base_url, control_url=self.control_url)

    def _temporary_ca_path(self) -> Path:
        directory = Path(tempfile.mkdtemp(prefix="mock-cic-"))
        weakref.finalize(self, shutil.rmtree, directory, ignore_errors=True)
        return directory / "ca.pem"

    async def _start_cic(self) -> None:
        app = wrap_app(cast(ASGIFramework, CicApp(self.state)), 0, "asgi")
        context = self._tls.server_context() if self._tls is not None else None
        self._listener = CicListener(app, self.state, self.host, self.port, context)
        await self._listener.start()
        self.port = self._listener.port

    async def stop(self) -> None:
        """Stop both ports, cutting every connection."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self._stop_cic()
        await self.state.voice.close()
        self.state.refuse = None
        await runner.cleanup()
        log.info("mock_cic.stopped", url=self.base_url)

    async def _stop_cic(self) -> None:
        self.state.faults.ignore_pings(False)
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        for channel in list(self.state.downchannels.values()):
            channel.close(abort=True)

    async def restart(self) -> None:
        """Restart the CIC port on the same port (what a client sees when CIC restarts).

        Every CIC connection is cut; the control/media/token port stays up. Records, issued
        tokens and queued pushes survive.
        """
        if self._runner is None:
            raise RuntimeError("mock CIC not running")
        await self._stop_cic()
        await self._start_cic()
        log.info("mock_cic.restarted", url=self.base_url)

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

    # state, as attributes --------------------------------------------------------------------

    @property
    def auth(self) -> MockTokens:
        return self.state.auth

    @property
    def devices(self) -> DeviceBook:
        return self.state.devices

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def responders(self) -> Responders:
        return self.state.responders

    @property
    def voice(self) -> Voice:
        """Recognize's answers: ``voice.script.update({"answers": [...]})``, ``voice.answered``."""
        return self.state.voice

    @property
    def rules(self) -> Rules:
        return self.state.rules

    @property
    def downchannels(self) -> dict[str, Downchannel]:
        return self.state.downchannels

    @property
    def connections(self) -> list[Connection]:
        """Every CIC connection since the start (or the last reset), oldest first."""
        return self.state.connections.all()

    # directives and events -------------------------------------------------------------------

    async def push(
        self, device: str, *directives: JsonObject, attachments: Mapping[str, bytes] | None = None
    ) -> None:
        """Send directives on the device's downchannel (queued until one opens if none is)."""
        self.state.deliver(device, list(directives), attachments)

    def deliver(
        self,
        device: str,
        directives: list[JsonObject],
        attachments: Mapping[str, bytes] | None = None,
    ) -> bool:
        """Sync push; False when no downchannel is open and the directives wait for one."""
        return self.state.deliver(device, directives, attachments)

    def reply_next(
        self,
        device: str,
        *directives: JsonObject,
        on: str | None = None,
        attachments: Mapping[str, bytes] | None = None,
    ) -> None:
        """Answer the device's next event (named ``on``, if given) with these directives."""
        self.state.reply_next(device, list(directives), on=on, attachments=attachments)

    def remote(self, device: str, command: str, **fields: Any) -> JsonObject:
        """The Clova app's tap on ``command`` (pause, resume, next, previous, stop, play, repeat;
        ``target``, ``token``, ``handover``, ``repeatMode``, ``dialogRequestId`` as in
        docs/MOCK_CIC.md): CIC's directive, pushed now (or queued); returns that directive.
        ValueError for a bad command."""
        message, _ = self.state.remote_control(device, parse_remote({"command": command, **fields}))
        return message

    def events(
        self, device: str, name: str | None = None, *, since: int = 0
    ) -> list[RecordedEvent]:
        """The recorded events (of ``name``) from position ``since`` of the device's list on."""
        return list(self.state.devices.get(device).named(name, since=since))

    def device(self, device: str) -> DeviceRecord:
        return self.state.devices.get(device)

    async def wait_event(
        self,
        device: str,
        name: str,
        *,
        timeout: float = 10,  # noqa: ASYNC109 - the documented test API
        index: int = 0,
        since: int = 0,
    ) -> RecordedEvent:
        """The ``index``-th event called ``name`` among those from position ``since`` on (waits
        for it); WaitTimeout after ``timeout``."""
        return await self.state.devices.wait_event(
            device, name, within=timeout, index=index, since=since
        )

    async def wait_downchannel(
        self,
        device: str,
        *,
        opened_count: int = 1,
        timeout: float = 10,  # noqa: ASYNC109 - the documented test API
    ) -> None:
        """Wait until the downchannel is open and has been opened ``opened_count`` times."""
        await self.state.devices.wait_downchannel(device, opened_count=opened_count, within=timeout)

    def refresh_token_for(self, device: str) -> str | None:
        return self.state.auth.refresh_token_for(device)

    def reset(self) -> None:
        """Forget events, counters, faults, responders and queued replies/pushes."""
        self.state.reset()

    # faults (every one goes through fault_table.FAULTS) ---------------------------------------

    def fault(self, name: str, **params: Any) -> dict[str, Any]:
        """Inject the fault ``name`` of the table; returns what it did."""
        return inject(self.state, name, params)

    def _refuse(self, seconds: float) -> None:
        if self._listener is not None:
            self._listener.refuse(seconds)

    def refuse_connections(self, seconds: float) -> None:
        """Stop listening on the CIC port and cut its connections; listen again after a while.

        The control/media/token port stays up.
        """
        if self._runner is None:
            raise RuntimeError("mock CIC not running")
        self.fault("refuse_connections", seconds=seconds)

    def drop_downchannel(self, device: str, *, abort: bool = False) -> bool:
        """End the device's downchannel (``abort``: cut the TCP connection mid-stream)."""
        return bool(self.fault("drop_downchannel", device=device, abort=abort)["dropped"])

    def goaway(self, device: str, *, grace: float = DEFAULT_GOAWAY_GRACE) -> bool:
        """End the downchannel cleanly, then GOAWAY and close its connection (docs/MOCK_CIC)."""
        return bool(self.fault("goaway", device=device, grace=grace)["sent"])

    def answer_then_end_downchannel(self, device: str) -> None:
        """Answer the device's next event normally, then end its downchannel cleanly."""
        self.fault("answer_then_end_downchannel", device=device)

    def delay_hello(self, device: str, seconds: float) -> None:
        """The device's next downchannel answers 200 at once but holds Clova.Hello back for
        ``seconds`` (an event on that connection meanwhile: 412)."""
        self.fault("delay_hello", device=device, seconds=seconds)

    def fail_next(
        self,
        n: int,
        status: int,
        *,
        path_prefix: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``n`` requests (under ``path_prefix``) with ``status``."""
        self.fault(
            "fail_next", n=n, status=status, path_prefix=path_prefix, retry_after=retry_after
        )

    def stall_next_event(self, seconds: float) -> None:
        """Hold the answer to the next event; it is recorded only if the client still waits."""
        self.fault("stall_next_event", seconds=seconds)

    def ignore_pings(self, on: bool = True) -> None:
        """While on, ``GET /ping`` never answers (until turned off or the client gives up)."""
        self.fault("ignore_pings", on=on)

    def expire_token(self, device: str) -> None:
        """Every current access token of ``device`` answers 401 from now on."""
        self.fault("expire_token", device=device)
