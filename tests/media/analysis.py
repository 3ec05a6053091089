"""Reads a runner's result against what its output really played.

``JobResult.load`` brings back the events, probes and commands of each play and the recording;
``PlayView`` measures one play: when the first sound came and which media position it was,
when each report was due by the real output, where a seek landed, where the sound ended.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.audio_probe import Recording, landing, position_track

ENDS = ("PlayFinished", "PlayStopped")
REPORTS = (
    "ProgressReportDelayPassed",
    "ProgressReportIntervalPassed",
    "ProgressReportPositionPassed",
)


@dataclass
class PlayView:
    label: str
    raw: dict[str, Any]
    rec: Recording
    until: float
    """Where this play's part of the recording ends (the next play's command, or the end)."""
    events: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.events = self.raw["events"]

    # -- what the daemon said ----------------------------------------------------------------

    @property
    def play_at(self) -> float:
        return float(self.raw["play_at"])

    @property
    def ended(self) -> bool:
        return bool(self.raw["ended"])

    def names(self, *, progress: bool = False) -> list[str]:
        return [e["name"] for e in self.events if progress or e["name"] not in REPORTS]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["name"] == name]

    def one(self, name: str) -> dict[str, Any]:
        found = self.named(name)
        assert len(found) == 1, f"{self.label}: {len(found)} {name}, events {self.names()}"
        return found[0]

    def command(self, do: str) -> dict[str, Any]:
        return next(c for c in self.raw["commands"] if c["do"] == do)

    def probes(self) -> list[tuple[float, int | None, str]]:
        return [(float(t), o, a) for t, o, a in self.raw["probes"]]

    # -- what the output played --------------------------------------------------------------

    def first_sound(self) -> float | None:
        found = self.rec.first_sound(self.play_at)
        return found if found is not None and found < self.until else None

    def last_sound(self) -> float | None:
        """The end of the last sound of this play (before ``until``)."""
        sub = Recording(self.rec.rate)
        for start, samples in self.rec.blocks:
            end = start + len(samples) / self.rec.rate
            if end <= self.play_at or start >= self.until:
                continue
            a = max(0, int((self.play_at - start) * self.rec.rate))
            b = (
                len(samples)
                if self.until == float("inf")
                else int((self.until - start) * self.rec.rate)
            )
            b = min(len(samples), b)
            sub.add(start + a / self.rec.rate, samples[a:b])
        return sub.last_sound()

    def start_position(self) -> float | None:
        first = self.first_sound()
        return None if first is None else self.rec.start_position(first)

    def position_at(self, at: float) -> float | None:
        return self.rec.position_at(at)

    def due_at(self, playback_ms: float) -> float:
        """The wall time the output had played ``playback_ms`` since its first sound."""
        first = self.first_sound()
        assert first is not None, f"{self.label}: no sound at all"
        return first + playback_ms / 1000

    def seek_landing(self) -> tuple[float, float] | None:
        seek = self.command("seek")
        track = position_track(self.rec, seek["at"] - 0.5, min(self.until, seek["at"] + 1.5))
        return landing(self.rec, track, seek["at"])


@dataclass
class JobResult:
    key: str
    plays: list[PlayView]
    log_lines: list[dict[str, Any]]
    log_text: str
    stderr: str = ""

    @classmethod
    def load(cls, stem: Path, stderr: str = "") -> JobResult:
        result = json.loads(Path(f"{stem}.result.json").read_text())
        index = json.loads(Path(f"{stem}.rec.json").read_text())
        raw = Path(f"{stem}.rec.raw").read_bytes()
        rec = Recording(index["rate"])
        at = 0
        for start, count in index["blocks"]:
            rec.add(float(start), array("h", raw[at : at + 2 * count]))
            at += 2 * count
        plays = result["plays"]
        views = []
        for i, play in enumerate(plays):
            until = plays[i + 1]["play_at"] if i + 1 < len(plays) else float("inf")
            views.append(PlayView(play["label"], play, rec, until))
        text = Path(f"{stem}.log").read_text(errors="replace")
        lines = []
        for line in text.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"raw": line})
        return cls(stem.name, views, lines, text, stderr)

    def play(self, label: str) -> PlayView:
        return next(p for p in self.plays if p.label == label)

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.log_lines if line.get("event") == event]
