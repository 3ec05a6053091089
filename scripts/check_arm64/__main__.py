"""``scripts/check-arm64``: the speaker's install path, proved on arm64 under qemu-user.

Builds (or reuses) an unpacked Debian bookworm arm64 userland and the aarch64 wheelhouse,
installs the pinned set and the checkout's wheel into SITE for arm64, starts the mock CIC on
the host (HTTP/2 + TLS), runs the arm64 daemon against it (null output) until READY=1, plays an
MP3 and an M4A to PlayFinished, and opens every format of the media matrix. Prints one line per
step and a summary; exits 1 when a step failed. Not part of CI (it takes minutes).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import build
from .media import MATRIX, SECONDS, make_matrix
from .plays import play
from .procs import CheckError, Daemon, Mock, NotifySocket, stop

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 240.0
START_TIMEOUT = 60.0
END_TIMEOUT = SECONDS + 45.0
PLAY_TO_END = (("MP3", "mp3-cbr.mp3"), ("M4A", "moov-first.m4a"))


@dataclass
class Report:
    """Every step's outcome, printed as it happens and again at the end."""

    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    steps: int = 0

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)

    def step(self, name: str, action: Callable[[], str]) -> bool:
        self.steps += 1
        began = time.monotonic()
        try:
            detail = action()
            ok = True
        except (CheckError, build.BuildError, RuntimeError, OSError) as error:
            detail, ok = str(error), False
        took = time.monotonic() - began
        mark = "ok    " if ok else "FAILED"
        first, *rest = detail.splitlines() or [""]
        self.say(f"{mark} {self.steps:>2} {name:<40} {took:6.1f} s  {first}")
        for line in rest:
            self.say(f"{'':>56}{line}")
        if not ok:
            self.failed.append(name)
        return ok

    def skip(self, names: list[str]) -> None:
        for name in names:
            self.steps += 1
            self.skipped += 1
            self.say(f"SKIP   {self.steps:>2} {name}")


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "missing"
    return out.splitlines()[0].strip() if out else "?"


def check(workdir: Path, report: Report) -> None:
    lay = build.Layout(REPO, workdir)
    run_dir = workdir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    log = run_dir / "build.log"
    media_dir = workdir / "media"
    setup = [
        ("arm64 userland (bookworm, unpacked)", lambda: build.userland(lay, log)),
        ("aarch64 wheelhouse (scripts/wheelhouse)", lambda: build.wheelhouse(lay, log)),
        ("wheels built on the host", lambda: build.host_wheels(lay, log)),
        ("SITE installed for cp311 aarch64", lambda: build.site(lay, log)),
        ("arm64 Python imports it", lambda: build.probe(lay, run_dir)),
        ("media matrix (ffmpeg)", lambda: make_matrix(media_dir)),
    ]
    for i, (name, action) in enumerate(setup):
        if not report.step(name, action):
            report.skip([n for n, _ in setup[i + 1 :]] + ["mock, daemon and playback"])
            return
    mock = Mock(lay, run_dir, media_dir)
    daemon = Daemon(lay, run_dir, mock)
    # A short path: AF_UNIX addresses are limited to 108 bytes, the work dir may be long.
    notify = NotifySocket(Path(tempfile.mkdtemp(prefix="check-arm64-")) / "notify")
    try:
        _drive(mock, daemon, notify, report)
    finally:
        stop(daemon.proc)
        stop(mock.proc)
        notify.close()
        notify.path.parent.rmdir()


def _drive(mock: Mock, daemon: Daemon, notify: NotifySocket, r: Report) -> None:
    def start_mock() -> str:
        mock.start()
        return f"https://127.0.0.1:{mock.port}, media {mock.media_url}"

    def ready() -> str:
        began = time.monotonic()
        daemon.start(notify)
        status = daemon.wait_ready(notify, READY_TIMEOUT)
        took = time.monotonic() - began
        if not mock.downchannel_open(10):
            raise CheckError(f"READY=1, but the mock sees no open downchannel ({status})")
        return f"READY=1 {took:.1f} s after exec, downchannel open; STATUS={status}"

    run = uuid.uuid4().hex[:8]

    def player(path: str, title: str, *, to_end: bool) -> Callable[[], str]:
        def action() -> str:
            token = f"{path.replace('/', '-').replace('.', '-')}-{run}"
            result = play(
                mock,
                daemon,
                f"{mock.media_url}/{path}",
                token=token,
                title=title,
                start_timeout=START_TIMEOUT,
                end_timeout=END_TIMEOUT,
            )
            if result.started_s is None or (to_end and not result.finished):
                raise CheckError(result.describe() + ("; expected PlayFinished" if to_end else ""))
            return result.describe()

        return action

    def clean_stop() -> str:
        code = stop(daemon.proc)
        if code != 0:
            raise CheckError(f"exit code {code} after SIGTERM")
        return "exit 0 after SIGTERM"

    if not r.step("mock CIC on the host (HTTP/2 + TLS)", start_mock):
        r.skip(["arm64 daemon READY", "playback and media matrix"])
        return
    if not r.step("arm64 daemon READY (null output)", ready):
        r.skip(["playback and media matrix"])
        return
    for label, path in PLAY_TO_END:
        r.step(f"play {label} to PlayFinished", player(path, label, to_end=True))
    for fmt in MATRIX:
        r.step(f"open {fmt.label}", player(fmt.path, fmt.label, to_end=False))
    r.step("daemon stops on SIGTERM", clean_stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check-arm64", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        default=REPO / ".check-arm64",
        help="cache and run directory (default: .check-arm64 in the checkout)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the run's logs and state (WORKDIR/run) after a pass too",
    )
    args = parser.parse_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    report = Report()
    began = time.monotonic()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report.say(f"check-arm64 {now} on {platform.machine()} {platform.node()}")
    report.say(f"  {_version(['qemu-aarch64-static', '--version'])}; work dir {workdir}")
    check(workdir, report)
    total = time.monotonic() - began
    if report.failed:
        skipped = f", {report.skipped} skipped" if report.skipped else ""
        report.say(
            f"check-arm64: FAILED {len(report.failed)} of {report.steps} steps{skipped} "
            f"in {total:.0f} s: {', '.join(report.failed)}"
        )
        report.say(f"  logs: {workdir / 'run'} (daemon.log, mock.log, build.log)")
    else:
        report.say(f"check-arm64: PASS, {report.steps} steps in {total:.0f} s")
    (workdir / "last-run.txt").write_text("\n".join(report.lines) + "\n")
    if not report.failed and not args.keep:
        shutil.rmtree(workdir / "run", ignore_errors=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
