"""Where the sound goes: the output choice, and the headless ``null`` output paced to real time.

``null`` plays into an ``amem`` sink whose play callback sleeps until the block's wall-clock end,
so EndReached comes at the true length (with ``--aout=dummy`` it fires ~1.1 s early). The pacing
clock restarts on pause, resume and flush (seek), and an abort flag lets ``stop()`` through at
once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import vlc

Output = Literal["null", "alsa", "pulse", "auto"]

NULL_RATE = 44100
NULL_CHANNELS = 2

MAX_LATE_S = 0.2
"""The null output restarts its clock when it falls this far behind (an underrun), like a sound
card that plays on instead of catching up."""

PlayObserver = Callable[[Any, int, float], None]
PLAY_OBSERVER: PlayObserver | None = None
"""Tests only (the media matrix records what the null output plays): when set, called on the
output thread with each block's samples pointer (S16N, ``NULL_CHANNELS``), its frame count and
the ``time.monotonic()`` at which it starts to play."""

QUIET_ARGS = (
    "--quiet",
    "--no-video",
    "--no-xlib",
    "--no-spu",
    "--no-osd",
    "--no-sub-autodetect-file",
    "--no-metadata-network-access",
    "--no-lua",
    "--no-snapshot-preview",
)


def pulse_available() -> bool:
    """Is a PulseAudio (or pipewire-pulse) server socket there?"""
    if os.environ.get("PULSE_SERVER"):
        return True
    candidates = [Path(f"/run/user/{os.getuid()}/pulse/native"), Path("/run/pulse/native")]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        candidates.insert(0, Path(runtime) / "pulse" / "native")
    return any(p.is_socket() for p in candidates)


def resolve_output(output: Output) -> Literal["null", "alsa", "pulse"]:
    """``auto`` becomes ``pulse`` when a pulse server socket exists, else ``alsa``."""
    if output == "auto":
        return "pulse" if pulse_available() else "alsa"
    if output not in ("null", "alsa", "pulse"):
        raise ValueError(f"unknown audio output {output!r}")
    return output


class Pacer:
    """The null output's sound card: ``play`` blocks until the block's wall-clock end.

    Runs on libVLC's decoder/output threads; only plain Python and ``threading`` here.
    """

    def __init__(self, rate: int = NULL_RATE) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._t0: float | None = None
        self._frames = 0
        self.abort = threading.Event()
        self.first_pcm_at: float | None = None
        self.volume: tuple[float, bool] | None = None  # what libVLC last set on the output

    def play(self, count: int, samples: Any = None) -> bool:
        """Account ``count`` frames and sleep until they have played; True for the first block."""
        if self.abort.is_set():
            return False
        now = time.monotonic()
        with self._lock:
            if self._t0 is None or now > self._t0 + self._frames / self._rate + MAX_LATE_S:
                self._t0, self._frames = now, 0
            self._frames += count
            end = self._t0 + self._frames / self._rate
        if PLAY_OBSERVER is not None:
            PLAY_OBSERVER(samples, count, end - count / self._rate)
        first = self.first_pcm_at is None
        if first:
            self.first_pcm_at = now
        delay = end - now
        if delay > 0:
            self.abort.wait(delay)
        return first

    def reset(self) -> None:
        with self._lock:
            self._t0 = None
            self._frames = 0


def attach_null_output(
    player: Any, pacer: Pacer, keep: list[object], on_first_pcm: Callable[[], None]
) -> None:
    """Make ``player`` play into ``pacer`` (S16N, ``NULL_RATE``, ``NULL_CHANNELS``).

    ``on_first_pcm`` runs on a VLC thread when the first block arrives. The ctypes callbacks go
    into ``keep``, which must outlive the player.
    """
    cb = vlc.CallbackDecorators

    def play(_opaque: Any, samples: Any, count: int, _pts: int) -> None:
        if pacer.play(count, samples):
            on_first_pcm()

    def reset(_opaque: Any, _pts: int) -> None:
        pacer.reset()

    def drain(_opaque: Any) -> None:
        pass

    def set_volume(_opaque: Any, volume: float, mute: bool) -> None:
        pacer.volume = (float(volume), bool(mute))

    play_cb = cb.AudioPlayCb(play)
    pause_cb = cb.AudioPauseCb(reset)
    resume_cb = cb.AudioResumeCb(reset)
    flush_cb = cb.AudioFlushCb(reset)
    drain_cb = cb.AudioDrainCb(drain)
    volume_cb = cb.AudioSetVolumeCb(set_volume)
    keep.extend([play_cb, pause_cb, resume_cb, flush_cb, drain_cb, volume_cb])
    player.audio_set_callbacks(play_cb, pause_cb, resume_cb, flush_cb, drain_cb, None)
    player.audio_set_volume_callback(volume_cb)
    player.audio_set_format("S16N", NULL_RATE, NULL_CHANNELS)
