"""End-to-end fixtures: the real ``clova-client run`` process against an in-process MockCicServer.

The daemon talks HTTP/2 over TLS to the mock's CIC port (trusting the mock's throw-away CA) and
fetches media and tokens from its plain-HTTP port. Every test gets its own mock (on free loopback
ports), a private state directory, a short runtime directory for the control socket, a 0600
token file and ``CLOVA_*`` settings in the environment. The daemon logs JSON (``--log-format
json``) into ``daemon.log``; stdout and stderr of every start of the process are appended there,
so a test can read the log of a whole run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer
from tests.support.media import media_file

from .helpers import ACCESS_TOKEN, DEVICE, REFRESH_TOKEN

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "clova-client"
"""The installed console script of the venv running the tests."""

FOREIGN_ENV = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")

MEDIA_LENGTHS_MS = (2000, 3000, 4000, 10000)


@dataclass(frozen=True)
class Media:
    """WAV noise files in the mock's media directory, by length."""

    directory: Path

    def name(self, length_ms: int) -> str:
        return f"noise-{length_ms}ms-1.wav"


@pytest.fixture(scope="session")
def e2e_media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    directory = tmp_path_factory.mktemp("e2e-media")
    for length in MEDIA_LENGTHS_MS:
        media_file(directory, "wav", length)
    return Media(directory)


@pytest.fixture
async def mock(e2e_media: Media) -> AsyncIterator[MockCicServer]:
    server = MockCicServer(
        tokens={ACCESS_TOKEN: DEVICE},
        refresh_tokens={REFRESH_TOKEN: DEVICE},
        media_dir=e2e_media.directory,
    )
    async with server:
        yield server


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


class DaemonProcess:
    """One speaker: its files, its environment, and the ``clova-client run`` process."""

    def __init__(self, mock: MockCicServer, home: Path, runtime_dir: Path) -> None:
        self.mock = mock
        self.home = home
        self.state_dir = home / "state"
        self.runtime_dir = runtime_dir
        self.token_file = home / "access_token.json"
        self.config_file = home / "config.toml"
        self.log_file = home / "daemon.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.overrides: dict[str, str] = {}
        self.extra_env: dict[str, str] = {}
        self.starts = 0
        self._log_offset = 0
        self.config_file.write_text(
            '# e2e: everything else comes from CLOVA_* variables\n[device]\nproduct = "e2e"\n',
            encoding="utf-8",
        )
        self.write_token_file()

    # --- files --------------------------------------------------------------------------

    def write_token_file(self, mode: int = 0o600) -> None:
        body = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "expires_at": None}
        self.token_file.write_text(json.dumps(body), encoding="utf-8")
        os.chmod(self.token_file, mode)

    def settings_env(self) -> dict[str, str]:
        """``CLOVA_*``: the mock, the private dirs, no sound card, short timeouts."""
        return {
            "CLOVA_STATE_DIR": str(self.state_dir),
            "CLOVA_RUNTIME_DIR": str(self.runtime_dir),
            "CLOVA_CIC__BASE_URL": self.mock.base_url,  # https://: HTTP/2 by ALPN
            "CLOVA_CIC__CA_FILE": str(self.mock.ca_file),
            "CLOVA_AUTH__AUTH_URL": self.mock.auth_url,
            "CLOVA_AUTH__ACCESS_TOKEN_FILE": str(self.token_file),
            "CLOVA_PLAYER__AUDIO_OUTPUT": "null",
            "CLOVA_PLAYER__OPEN_TIMEOUT_S": "5",
            "CLOVA_PLAYER__STALL_TIMEOUT_S": "5",
            "CLOVA_PLAYER__STREAM_DELIVER_TIMEOUT_S": "5",
            "CLOVA_PLAYER__STREAM_REQUEST_LEAD_S": "1",
            "CLOVA_LOG__LEVEL": "info",
            **self.overrides,
        }

    def env(self) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CLOVA_") and k not in FOREIGN_ENV
        }
        return {**base, **self.settings_env(), **self.extra_env}

    # --- the process --------------------------------------------------------------------

    async def start(self, *, connect: bool = True) -> None:
        """Start ``clova-client run``; with ``connect``, wait until its downchannel is open."""
        assert self.proc is None or self.proc.returncode is not None, "already running"
        self.starts += 1
        self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        opens = self.mock.device(DEVICE).downchannel_opens
        with self.log_file.open("ab") as out:  # the child inherits the descriptor
            self.proc = await asyncio.create_subprocess_exec(
                str(CLI),
                "run",
                "--config",
                str(self.config_file),
                "--log-format",
                "json",
                env=self.env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        if connect:
            await self.wait_connected(opens + 1)

    async def wait_connected(self, opened_count: int, timeout: float = 20) -> None:  # noqa: ASYNC109
        assert self.proc is not None
        connected = asyncio.ensure_future(
            self.mock.wait_downchannel(DEVICE, opened_count=opened_count, timeout=timeout)
        )
        exited = asyncio.ensure_future(self.proc.wait())
        await asyncio.wait({connected, exited}, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if not connected.done():
            connected.cancel()
        elif connected.exception() is None:
            return
        raise AssertionError(
            f"the daemon did not connect; exit={self.returncode}\n{self.log_text()[-4000:]}"
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    async def wait_exit(self, timeout: float = 20) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def terminate(self, timeout: float = 20) -> int:  # noqa: ASYNC109
        """SIGTERM (what ``systemctl stop`` sends) and the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait_exit(timeout)

    async def kill9(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        return await self.wait_exit()

    async def cleanup(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    # --- the command line against the running daemon ------------------------------------

    async def cli(self, *args: str, timeout: float = 20) -> CliResult:  # noqa: ASYNC109
        """``clova-client ARGS --config FILE`` with the daemon's environment (async: the
        in-process mock keeps serving meanwhile)."""
        proc = await asyncio.create_subprocess_exec(
            str(CLI),
            *args,
            env=self.env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        assert proc.returncode is not None
        return CliResult(proc.returncode, out.decode(), err.decode())

    async def status(self) -> dict[str, Any]:
        result = await self.cli("status", "--json", "--config", str(self.config_file))
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert isinstance(document, dict)
        return document

    # --- logs ---------------------------------------------------------------------------

    def log_text(self, *, this_run: bool = False) -> str:
        if not self.log_file.exists():
            return ""
        data = self.log_file.read_bytes()
        return (
            data[self._log_offset :].decode("utf-8", "replace")
            if this_run
            else data.decode("utf-8", "replace")
        )

    def log_records(self, *, this_run: bool = False) -> list[dict[str, Any]]:
        """Every log line as a dict (a line that is no JSON becomes ``{"raw": line}``)."""
        records: list[dict[str, Any]] = []
        for line in self.log_text(this_run=this_run).splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = {"raw": line}
            records.append(record if isinstance(record, dict) else {"raw": line})
        return records

    def logged(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.log_records()
            if r.get("event") == event and all(r.get(k) == v for k, v in fields.items())
        ]

    async def wait_logged(
        self,
        event: str,
        timeout: float = 10,  # noqa: ASYNC109
        count: int = 1,
        **fields: Any,
    ) -> dict[str, Any]:
        """The last of at least ``count`` log lines ``event`` with ``fields``."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.logged(event, **fields)
            if len(found) >= count:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no log line {event!r} {fields}; log tail:\n{self.log_text()[-3000:]}"
                )
            await asyncio.sleep(0.05)


@pytest.fixture
def short_runtime_dir() -> Iterator[Path]:
    """A short path for the control socket (sun_path holds 107 bytes), private (0700)."""
    directory = Path(tempfile.mkdtemp(prefix="clova-e2e-"))
    os.chmod(directory, 0o700)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def daemon(
    mock: MockCicServer, tmp_path: Path, short_runtime_dir: Path
) -> AsyncIterator[DaemonProcess]:
    """A speaker, not started yet: set ``overrides`` / ``extra_env``, then ``await start()``."""
    speaker = DaemonProcess(mock, tmp_path, short_runtime_dir)
    try:
        yield speaker
    finally:
        await speaker.cleanup()


@pytest.fixture
async def running(daemon: DaemonProcess) -> DaemonProcess:
    """The speaker, started and connected."""
    await daemon.start()
    return daemon
