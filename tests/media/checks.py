"""What the issue asks of every play, checked against the real output.

Each check adds a line to ``problems`` instead of stopping at the first, so a failing test
shows everything that is off for that format, with the measured numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.media.analysis import REPORTS, PlayView
from tests.support.matrix_media import LENGTH_MS

STARTED_MS = 150
"""PlayStarted within this of the first sound."""
OFFSET_MS = 100
"""A reported offset / instant within this of the real one."""
END_MS = 300
"""PlayFinished's offset within this of the length, and its instant of the end of the sound."""
VBR_TOC_MS = LENGTH_MS // 100
"""libVLC starts and seeks a VBR MP3 by its Xing table of contents, one entry per 1 % of the
length: a start lands within one entry, and the offsets then are that far from the sound
(docs/OPERATIONS.md, "What libVLC does by itself"). The checks of such a start allow it on top."""
SETTLE_S = 0.25
"""Probes this soon after a start or a seek are not compared (the output is switching)."""

SHORT = {
    "ProgressReportDelayPassed": "Delay",
    "ProgressReportIntervalPassed": "Interval",
    "ProgressReportPositionPassed": "Position",
}


@dataclass(frozen=True)
class Due:
    """A report expected: its event, the offset it must carry, and when it is due: after
    ``playback_ms`` of playback (Delay, Interval) or when the output passes ``media_ms``."""

    name: str
    offset_ms: int
    playback_ms: int | None = None
    media_ms: int | None = None


@dataclass
class Checker:
    play: PlayView
    problems: list[str] = field(default_factory=list)
    measured: dict[str, object] = field(default_factory=dict)
    allowance_ms: int = 0
    """Added to OFFSET_MS where libVLC itself cannot do better (VBR_TOC_MS)."""

    @property
    def offset_ms(self) -> int:
        return OFFSET_MS + self.allowance_ms

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def verdict(self) -> str:
        head = f"{self.play.label}: measured {self.measured}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    # -- the pieces --------------------------------------------------------------------------

    def sound(self) -> tuple[float, float] | None:
        first, last = self.play.first_sound(), self.play.last_sound()
        if first is None or last is None:
            self.fail(f"no sound came out at all; events {self.play.names(progress=True)}")
            return None
        self.measured["sound_ms"] = round((last - first) * 1000)
        return first, last

    def started(self, first: float, begin_ms: int | None) -> float | None:
        """PlayStarted near the first sound, carrying the real start; returns the real start
        (media ms; None for a live stream, whose start is 0 by definition)."""
        found = self.play.named("PlayStarted")
        if len(found) != 1:
            self.fail(f"{len(found)} PlayStarted")
            return None
        started = found[0]
        lag = round((started["at"] - first) * 1000)
        self.measured["started_lag_ms"] = lag
        self.measured["started_offset"] = started["offset"]
        if abs(lag) > STARTED_MS:
            self.fail(f"PlayStarted {lag:+d} ms from the first sound (limit {STARTED_MS})")
        real = 0.0 if begin_ms is None else self.play.rec.start_position(first)
        if real is None:
            self.fail("the start position could not be read from the output")
            return None
        self.measured["real_start_ms"] = round(real)
        if begin_ms is not None and abs(real - begin_ms) > self.offset_ms:
            self.fail(f"playback really began at {real:.0f} ms, asked {begin_ms}")
        if abs((started["offset"] or 0) - real) > self.offset_ms:
            self.fail(f"PlayStarted says {started['offset']}, playback began at {real:.0f}")
        return real

    def reports(self, first: float, real_start: float, due: list[Due], *, media: bool) -> None:
        got = [e for e in self.play.events if e["name"] in REPORTS]
        names = [SHORT[e["name"]] for e in got]
        want = [d.name for d in due]
        self.measured["reports"] = [
            (SHORT[e["name"]], e["offset"], round((e["at"] - first) * 1000)) for e in got
        ]
        if names != want:
            self.fail(f"reports {names}, expected {want}")
            return
        for d, event in zip(due, got, strict=True):
            if d.playback_ms is not None:
                due_at = first + d.playback_ms / 1000
            else:
                assert d.media_ms is not None
                due_at = first + (d.media_ms - real_start) / 1000
            late = round((event["at"] - due_at) * 1000)
            if abs(late) > self.offset_ms:
                self.fail(f"{d.name} {d.offset_ms} came {late:+d} ms from when it was due")
            if abs((event["offset"] or 0) - d.offset_ms) > self.offset_ms:
                self.fail(f"{d.name} {d.offset_ms} says offset {event['offset']}")
            real = self.play.position_at(event["at"]) if media else None
            if real is not None and abs((event["offset"] or 0) - real) > self.offset_ms:
                self.fail(f"{d.name} says {event['offset']} while the output played {real:.0f}")

    def finished(self, last: float) -> None:
        found = self.play.named("PlayFinished")
        if self.play.named("PlayStopped") or len(found) != 1:
            self.fail(f"ended with {self.play.names()} instead of one PlayFinished")
            return
        event = found[0]
        self.measured["finished_offset"] = event["offset"]
        lag = round((event["at"] - last) * 1000)
        self.measured["finished_lag_ms"] = lag
        if abs((event["offset"] or 0) - LENGTH_MS) > END_MS:
            self.fail(f"PlayFinished says {event['offset']}, the media is {LENGTH_MS} ms long")
        if abs(lag) > END_MS:
            self.fail(f"PlayFinished {lag:+d} ms from the end of the sound")

    def totals(self, *, live: bool = False) -> None:
        totals = {e["total"] for e in self.play.events if e["has_total"]}
        self.measured["totals"] = sorted(totals, key=lambda t: (t is None, t))
        if live:
            if any(e["has_total"] for e in self.play.events):
                self.fail(f"a live stream's context has totalInMilliseconds {totals}")
            return
        if not all(e["has_total"] for e in self.play.events):
            self.fail("an event's context has no totalInMilliseconds")
        for total in totals:
            if total is None or abs(total - LENGTH_MS) > END_MS:
                self.fail(f"totalInMilliseconds {total}, the media is {LENGTH_MS} ms long")

    def probes(self, since: float, until: float) -> None:
        """Every playback_state offset while playing between ``since`` and ``until`` says
        where the output is."""
        worst = 0.0
        for at, offset, activity in self.play.probes():
            if not since <= at <= until or activity != "PLAYING" or offset is None:
                continue
            real = self.play.position_at(at)
            if real is None:
                continue
            if abs(offset - real) > abs(worst):
                worst = offset - real
        self.measured["worst_probe_ms"] = round(worst)
        if abs(worst) > self.offset_ms:
            self.fail(f"the context's offset was {worst:+.0f} ms off where the output played")

    def not_abandoned(self, abandoned: list[dict[str, object]]) -> None:
        mine = [a for a in abandoned if a.get("token") == self.play.events[0]["token"]]
        if mine:
            self.fail(f"player.item_abandoned: {[a.get('reason') for a in mine]}")


def check_whole_play(
    play: PlayView,
    begin_ms: int,
    due: list[Due],
    abandoned: list[dict[str, object]],
    *,
    allowance_ms: int = 0,
) -> Checker:
    """A play from ``begin_ms`` to the end, with the matrix's progress reports."""
    check = Checker(play, allowance_ms=allowance_ms)
    if not play.events:
        check.fail("no event at all")
        return check
    check.not_abandoned(abandoned)
    check.totals()
    sound = check.sound()
    if sound is None:
        return check
    first, last = sound
    real_start = check.started(first, begin_ms)
    if real_start is not None:
        check.reports(first, real_start, due, media=True)
    check.finished(last)
    check.probes(first + SETTLE_S, last - 0.15)
    return check
