"""A private PulseAudio daemon with null sinks: a real, real-time output, as on a speaker.

``pulseaudio -n`` (no default script: no system configuration, no hardware, no D-Bus modules)
with only the native protocol on a socket in a private directory and anonymous access, run in
the foreground as whoever starts it (as root it only warns). Each ``sink(name)`` is a
``module-null-sink``: it consumes audio at its sample clock like a sound card, and its
``.monitor`` source gives back what it played (recorded by ``tests/media/runner.py`` with
``parec``). A client reaches it with ``env()``: ``PULSE_SERVER`` (and ``PULSE_SINK``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.support.procs import stop_process

RATE = 44100


class PulseUnavailable(RuntimeError):
    """PulseAudio is not installed or would not start (the matrix says so, loudly)."""


class PrivatePulse:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.socket = work / "native"
        self.proc: subprocess.Popen[bytes] | None = None
        self.sinks: list[str] = []

    @property
    def server(self) -> str:
        return f"unix:{self.socket}"

    def env(self, sink: str | None = None) -> dict[str, str]:
        env = {"PULSE_SERVER": self.server, "PULSE_RUNTIME_PATH": str(self.work)}
        if sink is not None:
            env["PULSE_SINK"] = sink
        return env

    def start(self) -> PrivatePulse:
        binary = shutil.which("pulseaudio")
        if binary is None or shutil.which("pactl") is None or shutil.which("parec") is None:
            raise PulseUnavailable("pulseaudio / pactl / parec are not installed")
        self.work.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work, 0o700)
        env = {
            **os.environ,
            "HOME": str(self.work),
            "XDG_RUNTIME_DIR": str(self.work),
            "XDG_CONFIG_HOME": str(self.work / "config"),
        }
        with (self.work / "pulseaudio.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    binary,
                    "-n",
                    "--daemonize=no",
                    "--exit-idle-time=-1",
                    "--use-pid-file=no",
                    "--disallow-module-loading=no",
                    "--log-target=stderr",
                    "--log-level=error",
                    "-L",
                    f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            if self.socket.exists() and self._pactl("info", check=False).returncode == 0:
                return self
            time.sleep(0.05)
        log_text = (self.work / "pulseaudio.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise PulseUnavailable(f"pulseaudio did not start: {log_text}")

    def _pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env()}
        return subprocess.run(
            ["pactl", *args], env=env, capture_output=True, text=True, check=check, timeout=10
        )

    def sink(self, name: str) -> str:
        """Load a null sink called ``name`` (s16le, stereo, ``RATE``)."""
        self._pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={name}",
            f"rate={RATE}",
            "channels=2",
            "format=s16le",
        )
        self.sinks.append(name)
        return name

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def __enter__(self) -> PrivatePulse:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
