"""The matrix's measurements as a table: ``python -m tests.media.table DIR`` after
``MATRIX_DIR=DIR pytest tests/media`` (one row per output and encoding).

Columns (ms): ``lag`` PlayStarted minus the first sound; ``said`` the offset PlayStarted carried;
``real`` where playback really began; ``late`` the worst report instant minus when it was due;
``end`` PlayFinished's offset (``STOP n`` when it was a PlayStopped); ``probe`` the worst
context offset minus the output's position; ``seek`` where the seek to 2500 landed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.media.analysis import JobResult, PlayView
from tests.media.checks import SETTLE_S, Checker, check_whole_play
from tests.media.jobs import BEGIN_MS, OUTPUTS
from tests.media.test_formats import FROM_3000, FROM_START
from tests.support.matrix_media import ENCODINGS


def _whole(play: PlayView, begin: int, result: JobResult) -> Checker:
    due = FROM_START if begin == 0 else FROM_3000
    return check_whole_play(play, begin, due, result.logged("player.item_abandoned"))


def _late(check: Checker) -> str:
    first = check.play.first_sound()
    reports = check.measured.get("reports")
    if first is None or not isinstance(reports, list) or not reports:
        return "none"
    return ",".join(f"{name[0]}{at}" for name, _, at in reports)


def _end(play: PlayView) -> str:
    for event in play.events:
        if event["name"] == "PlayFinished":
            return str(event["offset"])
        if event["name"] == "PlayStopped":
            return f"STOP {event['offset']}"
    return "-"


def row(output: str, name: str, result: JobResult) -> str:
    cells = [output, name]
    for label, begin in (("begin0", 0), ("begin3000", BEGIN_MS)):
        check = _whole(result.play(label), begin, result)
        m = check.measured
        cells += [
            str(m.get("started_lag_ms", "-")),
            str(m.get("started_offset", "-")),
            str(m.get("real_start_ms", "-")),
            _late(check),
            _end(result.play(label)),
            str(m.get("worst_probe_ms", "-")),
        ]
    seek = result.play("seek")
    landed = seek.seek_landing()
    cells.append("-" if landed is None else str(round(landed[1])))
    check = Checker(seek)
    if landed is not None:
        check.probes(landed[0] + SETTLE_S, seek.command("stop")["at"] - 0.05)
    cells.append(str(check.measured.get("worst_probe_ms", "-")))
    return "| " + " | ".join(cells) + " |"


def main(directory: Path) -> None:
    head = ["out", "format"]
    for b in ("0", "3000"):
        head += [f"lag@{b}", f"said@{b}", f"real@{b}", f"reports@{b} (kind+ms after sound)"]
        head += [f"end@{b}", f"probe@{b}"]
    head += ["seek→", "probe after seek"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for output in OUTPUTS:
        for encoding in ENCODINGS:
            stem = directory / f"{output}-{encoding.name}"
            if Path(f"{stem}.result.json").exists():
                print(row(output, encoding.name, JobResult.load(stem)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
