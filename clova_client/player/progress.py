"""Progress reports in media time (pure): which reports a position has crossed, and when the next
crossing will happen, interpolated from the last time tick.

Rules (AVS ProgressTimer, nugu-android ProgressTimer): the delay report fires once when the
offset passes the delay, never when playback begins at or past it; the interval report fires at
each whole multiple of the interval; the position report fires once when the offset passes the
position. Only positions crossed while playing count: a seek moves the mark without reporting,
and nothing is reported twice for the same play (seek back, pause/resume). A zero or null value
turns its report off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clova_client.protocol.audioplayer import ProgressReport


@dataclass(frozen=True, slots=True)
class PositionSample:
    """A media position observed at a clock time; ``running`` while the media time advances."""

    position_ms: int
    at: float
    running: bool = False

    def at_time(self, now: float, limit_ms: int) -> int:
        """The position at ``now``, extrapolated at most ``limit_ms`` past the sample."""
        if not self.running:
            return self.position_ms
        elapsed = max(0, round((now - self.at) * 1000))
        return self.position_ms + min(elapsed, limit_ms)

    def crossing_time(self, target_ms: int, limit_ms: int) -> float | None:
        """The clock time at which the position reaches ``target_ms``; None when not running or
        when that lies beyond the extrapolation limit (the next sample will plan again)."""
        if not self.running:
            return None
        ahead = target_ms - self.position_ms
        if ahead > limit_ms:
            return None
        return self.at + max(0, ahead) / 1000


class ReportKind(StrEnum):
    """The three progress reports of a stream's ``progressReport``."""

    DELAY = "delay"
    INTERVAL = "interval"
    POSITION = "position"


_ORDER = {ReportKind.DELAY: 0, ReportKind.POSITION: 1, ReportKind.INTERVAL: 2}


@dataclass(frozen=True, slots=True)
class Crossing:
    kind: ReportKind
    target_ms: int


def _enabled(value: int | None) -> int | None:
    return value if value else None


class ProgressPlanner:
    """The progress reports of one play of one item, from ``start_ms`` on."""

    def __init__(self, report: ProgressReport | None, start_ms: int) -> None:
        self.delay_ms = _enabled(report.progress_report_delay_in_milliseconds) if report else None
        self.interval_ms = (
            _enabled(report.progress_report_interval_in_milliseconds) if report else None
        )
        self.position_ms = (
            _enabled(report.progress_report_position_in_milliseconds) if report else None
        )
        self._checked_ms = start_ms
        self._once: dict[ReportKind, int] = {
            kind: target
            for kind, target in (
                (ReportKind.DELAY, self.delay_ms),
                (ReportKind.POSITION, self.position_ms),
            )
            if target is not None and target > start_ms  # begun at or past it: never
        }
        self._next_multiple = start_ms // self.interval_ms + 1 if self.interval_ms else 0

    @property
    def checked_ms(self) -> int:
        """Crossings up to here have been handled."""
        return self._checked_ms

    def passed(self, position_ms: int) -> list[Crossing]:
        """The reports crossed between the last call and ``position_ms``, in media order.

        A position behind the last one (the media went back by itself) moves the mark like
        a seek: nothing is reported for it.
        """
        if position_ms < self._checked_ms:
            self.jump(position_ms)
            return []
        crossed = [
            Crossing(kind, target)
            for kind, target in self._once.items()
            if self._checked_ms < target <= position_ms
        ]
        for crossing in crossed:
            del self._once[crossing.kind]
        if self.interval_ms:
            while self._next_multiple * self.interval_ms <= position_ms:
                target = self._next_multiple * self.interval_ms
                if target > self._checked_ms:
                    crossed.append(Crossing(ReportKind.INTERVAL, target))
                self._next_multiple += 1
        self._checked_ms = position_ms
        return sorted(crossed, key=lambda c: (c.target_ms, _ORDER[c.kind]))

    def jump(self, position_ms: int) -> None:
        """A seek: move the mark without reporting; already reported multiples stay done."""
        self._checked_ms = position_ms
        if self.interval_ms:
            self._next_multiple = max(self._next_multiple, position_ms // self.interval_ms + 1)

    def next_target(self) -> int | None:
        """The nearest media position ahead where a report is due, if any."""
        targets = [t for t in self._once.values() if t > self._checked_ms]
        if self.interval_ms:
            targets.append(self._next_multiple * self.interval_ms)
        return min(targets, default=None)
