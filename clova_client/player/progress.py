"""Progress reports (pure): which reports the media position has crossed and where the next one is
due, and the interpolation of the position between time ticks.

Rules (the Clova guide, ``Handle_Audio_Playback.md``, the table after its progress section):
Delay fires once when that much playback has passed since the play started; Interval fires each
time that much playback has passed (at every multiple of it, counted from the start); Position
fires when playback passes that media position. Playback is media time advanced while playing:
a pause does not count, and a seek neither adds nor removes any. A seek from before the Position
point to it or past it reports it at once (its offset is the point); a seek back before it lets
playback report it again. New values (a StreamDeliver during the play) apply from then on; the
playback counted so far stays. A zero or null value turns its report off.

The planner works in media positions: ``origin`` is where the media would be had every ms of it
been played since the start (the start position, moved by each seek), so the report due after
``n`` ms of playback is due at media position ``origin + n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ProgressPlan:
    """An item's progress reports: Delay and Interval in ms of playback, Position a media
    position; None or 0 turns one off (AudioPlayer: a stream's ``progressReport``)."""

    delay_ms: int | None = None
    interval_ms: int | None = None
    position_ms: int | None = None


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
    """A report that is due; ``target_ms`` is the media offset it reports."""

    kind: ReportKind
    target_ms: int


def _enabled(value: int | None) -> int | None:
    return value if value else None


class ProgressPlanner:
    """The progress reports of one play of one item, from ``start_ms`` on."""

    def __init__(self, report: ProgressPlan | None, start_ms: int) -> None:
        self._mark = start_ms
        self._origin = start_ms
        self.delay_ms: int | None = None
        self.interval_ms: int | None = None
        self.position_ms: int | None = None
        self._delay_due = False
        self._next_interval = 0
        self.update(report)

    @property
    def checked_ms(self) -> int:
        """Crossings up to this media position have been handled."""
        return self._mark

    @property
    def played_ms(self) -> int:
        """The playback counted so far (media time played, pauses and seeks excluded)."""
        return self._mark - self._origin

    def update(self, report: ProgressPlan | None) -> None:
        """Use these values from now on; the playback counted so far stays (a Delay or Interval
        whose playback has already passed is not reported for it)."""
        self.delay_ms = _enabled(report.delay_ms) if report else None
        self.interval_ms = _enabled(report.interval_ms) if report else None
        self.position_ms = _enabled(report.position_ms) if report else None
        played = self.played_ms
        self._delay_due = self.delay_ms is not None and played < self.delay_ms
        self._next_interval = played // self.interval_ms + 1 if self.interval_ms else 0

    def passed(self, position_ms: int) -> list[Crossing]:
        """Playback reached ``position_ms``: the reports due on the way, in media order.

        A position at or behind the mark (a tick behind the interpolated position, a stale one)
        counts no playback and reports nothing; only a seek (``jump``) moves the mark back.
        """
        if position_ms <= self._mark:
            return []
        crossed: list[Crossing] = []
        if self._delay_due and self.delay_ms is not None:
            target = self._origin + self.delay_ms
            if target <= position_ms:
                crossed.append(Crossing(ReportKind.DELAY, target))
                self._delay_due = False
        point = self.position_ms
        if point is not None and self._mark < point <= position_ms:
            crossed.append(Crossing(ReportKind.POSITION, point))
        if self.interval_ms:
            while (target := self._origin + self._next_interval * self.interval_ms) <= position_ms:
                crossed.append(Crossing(ReportKind.INTERVAL, target))
                self._next_interval += 1
        self._mark = position_ms
        return sorted(crossed, key=lambda c: (c.target_ms, _ORDER[c.kind]))

    def jump(self, position_ms: int) -> list[Crossing]:
        """A seek to ``position_ms``: no playback counted; a seek from before the Position point
        to it or past it reports it at once (returned), a seek back before it re-arms it."""
        point = self.position_ms
        crossed = []
        if point is not None and self._mark < point <= position_ms:
            crossed.append(Crossing(ReportKind.POSITION, point))
        self._origin += position_ms - self._mark
        self._mark = position_ms
        return crossed

    def next_target(self) -> int | None:
        """The nearest media position ahead where a report is due, if any."""
        targets: list[int] = []
        if self._delay_due and self.delay_ms is not None:
            targets.append(self._origin + self.delay_ms)
        if self.position_ms is not None and self.position_ms > self._mark:
            targets.append(self.position_ms)
        if self.interval_ms:
            targets.append(self._origin + self._next_interval * self.interval_ms)
        return min(targets, default=None)
