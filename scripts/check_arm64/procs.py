"""The two processes of a check: the mock CIC on the host, the arm64 daemon under qemu-user.

Only the processes started here are ever stopped, by their own Popen handle.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .build import Layout, arm64_command, arm64_env

DEVICE = "default"  # the mock's device for access token "test-token"
DAEMON_MAIN = "import sys; from clova_client.cli import main; sys.exit(main())"

JsonObject = dict[str, Any]


class CheckError(RuntimeError):
    """A check failed; the message says what was expected and what was seen."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 20.0) -> int | None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@dataclass
class Mock:
    """``clova-mock-cic serve`` over HTTP/2 + TLS, driven through its control API."""

    lay: Layout
    run_dir: Path
    media_dir: Path
    port: int = field(default_factory=free_port)
    control_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def ca_file(self) -> Path:
        return self.run_dir / "mock-ca.pem"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    @property
    def media_url(self) -> str:
        return f"{self.control_url}/media"

    def start(self, timeout: float = 30) -> None:
        cmd = [
            str(self.lay.repo / ".venv/bin/clova-mock-cic"),
            "serve",
            "--port",
            str(self.port),
            "--control-port",
            str(self.control_port),
            "--ca-file",
            str(self.ca_file),
            "--media-dir",
            str(self.media_dir),
        ]
        with (self.run_dir / "mock.log").open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.run_dir
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckError(f"the mock exited {self.proc.returncode}; see mock.log")
            if self.ca_file.is_file() and self.ca_file.stat().st_size:
                try:
                    self.get("/_mock/devices")
                    return
                except (OSError, CheckError):
                    pass
            time.sleep(0.1)
        raise CheckError(f"the mock did not answer within {timeout:.0f} s")

    def _request(self, path: str, body: JsonObject | None, timeout: float) -> JsonObject:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control_url + path, data=data)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                result: JsonObject = json.load(answer)
                return result
        except urllib.error.HTTPError as error:
            raise CheckError(f"{path}: HTTP {error.code} {error.read().decode()[:300]}") from None

    def get(
        self, path: str, query: dict[str, object] | None = None, wait: float = 10
    ) -> JsonObject:
        qs = urllib.parse.urlencode({k: str(v) for k, v in (query or {}).items()})
        return self._request(f"{path}?{qs}" if qs else path, None, wait)

    def push(self, directive: JsonObject) -> None:
        self._request("/_mock/push", {"device": DEVICE, "directive": directive}, 10)

    def events(self, since: int = 0) -> tuple[list[JsonObject], int]:
        """The device's events from position ``since`` on, and the list's length now."""
        answer = self.get("/_mock/events", {"device": DEVICE, "since": since})
        return list(answer["events"]), int(answer["total"])

    def downchannel_open(self, timeout: float = 10) -> bool:
        try:
            self.get("/_mock/downchannel/wait", {"device": DEVICE, "timeout": timeout}, timeout + 5)
            return True
        except CheckError:
            return False


class NotifySocket:
    """The NOTIFY_SOCKET the daemon's sd_notify writes to (as systemd's would be)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[dict[str, str]] = []

    def drain(self, wait: float) -> None:
        self.sock.settimeout(wait)
        try:
            while True:
                data = self.sock.recv(4096)
                lines = data.decode(errors="replace").splitlines()
                self.messages.append(dict(line.split("=", 1) for line in lines if "=" in line))
                self.sock.settimeout(0)
        except (TimeoutError, BlockingIOError):
            pass

    def value(self, key: str) -> str | None:
        for message in reversed(self.messages):
            if key in message:
                return message[key]
        return None

    def close(self) -> None:
        self.sock.close()
        self.path.unlink(missing_ok=True)


@dataclass
class Daemon:
    """``clova-client run`` from SITE, by the arm64 Python of the userland under qemu-user."""

    lay: Layout
    run_dir: Path
    mock: Mock
    proc: subprocess.Popen[bytes] | None = None

    def start(self, notify: NotifySocket) -> None:
        state = self.run_dir / "state"
        state.mkdir(parents=True, exist_ok=True)
        token = state / "access_token"
        token.write_text("test-token\n")
        token.chmod(0o600)
        env = arm64_env(self.lay, self.run_dir)
        env.update(
            {
                "CLOVA_CIC__BASE_URL": f"https://127.0.0.1:{self.mock.port}",
                "CLOVA_CIC__CA_FILE": str(self.mock.ca_file),
                "CLOVA_AUTH__AUTH_URL": f"{self.mock.control_url}/token",
                "CLOVA_AUTH__ACCESS_TOKEN_FILE": str(token),
                "CLOVA_STATE_DIR": str(state),
                "CLOVA_RUNTIME_DIR": str(self.run_dir / "runtime"),
                "CLOVA_PLAYER__AUDIO_OUTPUT": "null",
                # READY only once CIC said hello, never by the grace timer (qemu is slow to start).
                "CLOVA_SYSTEMD__READY_GRACE_S": "600",
                "NOTIFY_SOCKET": str(notify.path),
            }
        )
        config = self.lay.repo / "config/mock.toml"
        cmd = [
            *arm64_command(self.lay, DAEMON_MAIN),
            "run",
            "--config",
            str(config),
            "--log-format",
            "console",
        ]
        # cwd is the run dir: the checkout's clova_client/ must not shadow SITE's on sys.path.
        with (self.run_dir / "daemon.log").open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.run_dir, env=env
            )

    def wait_ready(self, notify: NotifySocket, timeout: float) -> str:
        """Wait for READY=1 on the notify socket; returns the daemon's STATUS= text."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            notify.drain(0.2)
            if notify.value("READY") == "1":
                return notify.value("STATUS") or ""
            if self.proc.poll() is not None:
                raise CheckError(f"the daemon exited {self.proc.returncode} before READY=1")
        raise CheckError(f"no READY=1 within {timeout:.0f} s (STATUS={notify.value('STATUS')})")

    def log_lines(self, needle: str) -> list[str]:
        text = (self.run_dir / "daemon.log").read_text(errors="replace")
        return [line for line in text.splitlines() if needle in line]
