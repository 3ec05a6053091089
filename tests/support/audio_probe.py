"""What really came out of an output: a recording on the wall clock, read back.

A ``Recording`` holds mono s16 samples placed on ``time.monotonic()``: the null output's blocks at
the instant its paced play callback plays them, or a PulseAudio monitor read by ``parec``. It
answers when the first and the last sound were, and which media position of the matrix's chirp
(``tests/support/matrix_media.py``) was playing at an instant: its frequency, measured from the
exact zero crossings in a short window, is a linear function of the media position.
"""

from __future__ import annotations

import statistics
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.support.matrix_media import media_position_ms

SILENCE = 600
"""A sample beyond this (about -35 dBFS) is sound; the chirp plays at about -10 dBFS."""

WINDOW_S = 0.04


@dataclass
class Recording:
    """Mono samples at ``rate``: ``blocks`` of (wall-clock start, samples), in time order."""

    rate: int
    blocks: list[tuple[float, array[int]]] = field(default_factory=list)

    def add(self, start: float, samples: array[int]) -> None:
        """Add a block; one that starts where the last one ends (within 2 ms) extends it."""
        if self.blocks:
            last_start, last = self.blocks[-1]
            if abs(last_start + len(last) / self.rate - start) < 0.002:
                last.extend(samples)
                return
        self.blocks.append((start, array("h", samples)))

    def _sorted(self) -> list[tuple[float, array[int]]]:
        return sorted(self.blocks, key=lambda b: b[0])

    # -- sound and silence -------------------------------------------------------------------

    def first_sound(self, after: float = 0.0) -> float | None:
        """The wall time of the first sample louder than ``SILENCE`` at or after ``after``."""
        for start, samples in self._sorted():
            end = start + len(samples) / self.rate
            if end < after:
                continue
            first = max(0, int((after - start) * self.rate))
            for i in range(first, len(samples), 64):
                chunk = samples[i : i + 64]
                if max(chunk) > SILENCE or -min(chunk) > SILENCE:
                    for j, s in enumerate(chunk):
                        if abs(s) > SILENCE:
                            return float(start + (i + j) / self.rate)
        return None

    def last_sound(self) -> float | None:
        """The wall time just after the last sample louder than ``SILENCE``."""
        for start, samples in reversed(self._sorted()):
            for i in range(len(samples) - 1, -1, -1):
                if abs(samples[i]) > SILENCE:
                    return start + (i + 1) / self.rate
        return None

    # -- which media position plays ----------------------------------------------------------

    def window(self, center: float, width_s: float = WINDOW_S) -> list[int]:
        """The samples played in ``[center - width/2, center + width/2)``, from the one block
        that covers it (an empty list when none does, or it straddles two blocks)."""
        a, b = center - width_s / 2, center + width_s / 2
        for start, samples in self.blocks:
            end = start + len(samples) / self.rate
            if start <= a and b <= end:
                i = int((a - start) * self.rate)
                return list(samples[i : i + int(width_s * self.rate)])
        return []

    def frequency_at(self, center: float, width_s: float = WINDOW_S) -> float | None:
        """The chirp's frequency around ``center`` (rising zero crossings with hysteresis,
        interpolated between samples); None for silence or too few crossings."""
        samples = self.window(center, width_s)
        if len(samples) < 32 or max(abs(s) for s in samples) <= SILENCE * 4:
            return None
        high = max(abs(s) for s in samples) * 0.25
        crossings: list[float] = []
        armed = False
        for i in range(1, len(samples)):
            s0, s1 = samples[i - 1], samples[i]
            if s1 < -high:
                armed = True
            if armed and s0 < 0 <= s1:
                crossings.append(i - 1 + (-s0) / (s1 - s0))
                armed = False
        if len(crossings) < 4:
            return None
        periods = (len(crossings) - 1) / (crossings[-1] - crossings[0])
        return periods * self.rate

    def position_at(self, at: float, width_s: float = WINDOW_S) -> float | None:
        """The media position (ms) the output played at wall time ``at``, or None."""
        frequency = self.frequency_at(at, width_s)
        return None if frequency is None else media_position_ms(frequency)

    def start_position(
        self, first_sound: float, probe_ms: Iterable[int] = range(60, 460, 50)
    ) -> float | None:
        """The media position playback really began at: the median, over a few instants
        ``k`` ms after ``first_sound``, of the position then minus ``k``."""
        values = []
        for k in probe_ms:
            pos = self.position_at(first_sound + k / 1000)
            if pos is not None:
                values.append(pos - k)
        return statistics.median(values) if len(values) >= 3 else None


def position_track(
    rec: Recording, start: float, end: float, step_s: float = 0.02
) -> list[tuple[float, float]]:
    """(wall time, media ms) every ``step_s`` between ``start`` and ``end`` where it can be read."""
    out = []
    t = start
    while t < end:
        pos = rec.position_at(t)
        if pos is not None:
            out.append((t, pos))
        t += step_s
    return out


def landing(
    rec: Recording, track: list[tuple[float, float]], after: float, jump_ms: float = 400
) -> tuple[float, float] | None:
    """Where a seek made at wall time ``after`` landed: (wall time the new audio began, media
    ms it began with). The line the track follows after the jump (media time advancing with
    wall time) is read from the points that follow it, then followed back in 10 ms windows to
    where the output started playing it (after the old audio, or after a silence)."""
    before = [(t, p) for t, p in track if t < after]
    if not before:
        return None
    t0, p0 = before[-1]
    for t, p in track:
        if t < after or abs(p - (p0 + (t - t0) * 1000)) <= jump_ms:
            continue
        later = [(tt, pp) for tt, pp in track if t + 0.04 <= tt <= t + 0.5]
        if len(later) < 5:
            return None
        base = statistics.median(pp - (tt - t) * 1000 for tt, pp in later)  # the line at t
        center = t
        while center > after - 0.1:
            pos = rec.position_at(center - 0.005, 0.01)
            if pos is None or abs(pos - (base - (t - center + 0.005) * 1000)) > 40:
                break
            center -= 0.005
        began = center - 0.005
        return began, base - (t - began) * 1000
    return None
