"""The daemon the fuzzing bench attacks, in a process of its own (so its RSS is its own).

    python -m bench.fuzz_daemon --base-url http://127.0.0.1:PORT --dir DIR

``clova_client.app.Daemon`` as ``clova-client run`` builds it (router, agents, both engines,
outbox, control socket, watchdog), on the FakeBackend simulating playback in real time instead
of libVLC; JSON log lines on stderr. One change for the bench's pace: a reconnect backs off
10 to 50 ms instead of 0.25 s to 64 s, since the bench breaks the framing on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import signal
import sys
from dataclasses import replace
from pathlib import Path

from clova_client.app import Daemon
from clova_client.cic import CicSettings, TokenStore
from clova_client.cic.backoff import BackoffPolicy
from clova_client.clock import LoopClock
from clova_client.config import Settings
from clova_client.daemon_state import RecentErrors
from clova_client.logging import configure_logging
from clova_client.player.fake import FakeBackend, FakeMedia

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


async def serve(settings: Settings, errors: RecentErrors) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
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


if __name__ == "__main__":
    raise SystemExit(main())
