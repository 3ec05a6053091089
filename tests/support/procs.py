"""Stopping the servers the tests start (nginx, icecast2, PulseAudio, ffmpeg)."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen[bytes] | None, wait_s: float = 5.0) -> None:
    """SIGTERM ``proc`` if it still runs, SIGKILL it after ``wait_s``; reaps it either way."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
