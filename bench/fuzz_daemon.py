"""The daemon the fuzzing bench attacks, in a process of its own (so its RSS is its own), and
the bench's handle on that process (``DaemonProcess``).

    python -m bench.fuzz_daemon --base-url http://127.0.0.1:PORT --dir DIR

``clova_client.daemon.app.Daemon`` as ``clova-client run`` builds it (router, agents, both engines,
outbox, control socket, watchdog), on the FakeBackend simulating playback in real time instead
of libVLC; JSON log lines on stderr. One change for the bench's pace: a reconnect backs off
10 to 50 ms instead of 0.25 s to 64 s, since the bench breaks the framing on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import sys
import tracemalloc
from dataclasses import replace
from pathlib import Path

from clova_client.cic import CicSettings, TokenStore
from clova_client.cic.backoff import BackoffPolicy
from clova_client.clock import LoopClock
from clova_client.config import Settings
from clova_client.daemon.app import Daemon
from clova_client.daemon.recent_errors import RecentErrors
from clova_client.logging import configure_logging
from clova_client.player.backends.fake import FakeBackend, FakeMedia

HOST = "https://fuzz.invalid"
LIVE_URL = f"{HOST}/live.mp3"
MEDIA = {
    LIVE_URL: FakeMedia(600_000),
    f"{HOST}/a.mp3": FakeMedia(2_000),
    f"{HOST}/b.mp3": FakeMedia(30_000),
    f"{HOST}/404.mp3": FakeMedia(1_000, "404"),
    f"{HOST}/garbage.mp3": FakeMedia(1_000, "garbage"),
    f"{HOST}/stall.mp3": FakeMedia(10_000, "stall_at_ms", 500),
    "cid:att-1": FakeMedia(1_500),
}
"""What the FakeBackend can play; any other URL fails as libVLC's would (not found)."""


ROOT = Path(__file__).resolve().parents[1]


WATCHDOG_USEC = "10000000"
"""As under systemd with WatchdogSec=10: the daemon checks its health every 5 s and logs
``watchdog health check failed`` when a long-lived task died or a player command hangs."""


def _clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("CLOVA_", "NOTIFY_", "WATCHDOG_"))
    }


class FuzzDaemon(Daemon):
    """The real daemon; only its reconnect backoff is shortened."""

    def _cic_settings(self) -> CicSettings:
        return replace(super()._cic_settings(), backoff=BackoffPolicy(first_s=0.01, cap_s=0.05))


def settings_for(base_url: str, directory: Path) -> Settings:
    token_file = directory / "access_token"
    if not token_file.exists():
        token_file.write_text("fuzz-access-token\n")
        token_file.chmod(0o600)
    return Settings.model_validate(
        {
            "state_dir": directory / "state",
            "runtime_dir": directory / "run",
            "cic": {"base_url": base_url, "http2_prior_knowledge": True},
            "auth": {"access_token_file": token_file},
            "log": {"format": "json", "level": "info"},
        }
    )


def dump_tasks() -> None:
    """SIGUSR1 (the bench saw a stall): every task's stack into the log file, for a report."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(file=out)
    print(f"fuzz.tasks\n{out.getvalue()}", file=sys.stderr, flush=True)


def dump_memory() -> None:
    """SIGUSR2: Python's own heap (blocks; with PYTHONTRACEMALLOC=1 the top allocation sites)
    into the log file, to tell a leak from the allocator keeping freed pages."""
    lines = [f"fuzz.memory blocks={sys.getallocatedblocks()}"]
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        lines.append(f"traced_mib={current / 2**20:.1f} peak_mib={peak / 2**20:.1f}")
        top = tracemalloc.take_snapshot().statistics("lineno")[:15]
        lines += [str(stat) for stat in top]
    print("\n".join(lines), file=sys.stderr, flush=True)


async def serve(settings: Settings, errors: RecentErrors) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
    loop.add_signal_handler(signal.SIGUSR2, dump_memory)
    settings.runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    backend = FakeBackend(LoopClock(), MEDIA)
    tokens = TokenStore(settings.auth.access_token_file)
    daemon = FuzzDaemon(settings, tokens, errors, backend=backend)
    return await daemon.run(stop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    settings = settings_for(args.base_url, args.dir)
    errors = RecentErrors()
    configure_logging("json", "info", observers=(errors,))  # as ``clova-client run`` does
    return asyncio.run(serve(settings, errors))


class DaemonProcess:
    """``python -m bench.fuzz_daemon`` with its log in ``directory/daemon.log``."""

    def __init__(self, base_url: str, directory: Path) -> None:
        self.base_url, self.directory = base_url, directory
        self.log = directory / "daemon.log"
        self.control = directory / "run" / "control.sock"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.fuzz_daemon",
                "--base-url", self.base_url, "--dir", str(self.directory),
                cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                env={**_clean_env(), "WATCHDOG_USEC": WATCHDOG_USEC},
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def cpu_s(self) -> float:
        """User + system CPU time of the daemon process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)

    def rss_mib(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def dump_memory(self) -> None:
        if self.process is not None and self.alive:
            self.process.send_signal(signal.SIGUSR2)

    def dump_tasks(self) -> None:
        if self.process is not None and self.alive:
            self.process.send_signal(signal.SIGUSR1)

    async def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.alive:
            self.process.terminate()
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
