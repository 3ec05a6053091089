"""Every encoding of the matrix, with the null output and with PulseAudio (issue 18, parts 1-3).

Each play is judged against what the output really played (``tests/support/audio_probe.py``):
PlayStarted within 150 ms of the first sound with the real start offset; Delay / Interval /
Position within 100 ms of when the output had played that much; PlayFinished, never PlayStopped,
at the real end with the length; totalInMilliseconds in every context; every offset the context
gives while playing within 100 ms of where the output is; seeks landing within 100 ms.

Progress reports follow the Clova guide: Delay once when that much playback has passed since
playback started, Interval each time that much playback has passed, Position when playback
passes that media position. From beginAt 3000 with delay 1000 / interval 2000 / position 4500:
Delay at media 4000, Position at 4500, Interval at 5000.
"""

from __future__ import annotations

import pytest

from tests.media.checks import (
    OFFSET_MS,
    SETTLE_S,
    VBR_TOC_MS,
    Checker,
    Due,
    check_whole_play,
)
from tests.media.conftest import Results, job
from tests.media.jobs import BEGIN_MS, OUTPUTS, SEEK_TO_MS
from tests.support.matrix_media import ENCODINGS

pytestmark = [pytest.mark.vlc, pytest.mark.media]


def keys(*, seekable_only: bool = False) -> list[object]:
    return [
        pytest.param(f"{output}-{e.name}", id=f"{output}-{e.name}")
        for output in OUTPUTS
        for e in ENCODINGS
        if e.seekable or not seekable_only
    ]


FROM_START = [
    Due("Delay", 1000, playback_ms=1000),
    Due("Interval", 2000, playback_ms=2000),
    Due("Interval", 4000, playback_ms=4000),
    Due("Position", 4500, media_ms=4500),
]
FROM_3000 = [
    Due("Delay", BEGIN_MS + 1000, playback_ms=1000),
    Due("Position", 4500, media_ms=4500),
    Due("Interval", BEGIN_MS + 2000, playback_ms=2000),
]


@pytest.mark.parametrize("key", keys())
def test_plays_from_the_start_to_the_end(matrix: Results, key: str) -> None:
    result = job(matrix, key)
    check = check_whole_play(
        result.play("begin0"), 0, FROM_START, result.logged("player.item_abandoned")
    )
    assert not check.problems, check.verdict()


@pytest.mark.parametrize("key", keys(seekable_only=True))
def test_begins_where_begin_at_says(matrix: Results, key: str) -> None:
    result = job(matrix, key)
    vbr = VBR_TOC_MS if key.endswith("mp3-vbr") else 0  # libVLC seeks it by its TOC
    check = check_whole_play(
        result.play("begin3000"),
        BEGIN_MS,
        FROM_3000,
        result.logged("player.item_abandoned"),
        allowance_ms=vbr,
    )
    assert not check.problems, check.verdict()


@pytest.mark.parametrize("key", keys(seekable_only=True))
def test_a_seek_lands_where_asked(matrix: Results, key: str) -> None:
    play = job(matrix, key).play("seek")
    check = Checker(play)
    seek, stop = play.command("seek"), play.command("stop")
    if play.names() != ["PlayStarted", "PlayStopped"]:
        check.fail(f"events {play.names()}: expected PlayStarted, then PlayStopped at the stop")
    landed = play.seek_landing()
    if landed is None:
        check.fail("no jump to a new position after the seek in what the output played")
    else:
        at, position = landed
        check.measured["landed_ms"] = round(position)
        check.measured["landed_after_ms"] = round((at - seek["at"]) * 1000)
        if abs(position - SEEK_TO_MS) > OFFSET_MS:
            check.fail(f"the seek to {SEEK_TO_MS} landed at {position:.0f}")
        check.probes(at + SETTLE_S, stop["at"] - 0.05)
    stopped = play.named("PlayStopped")
    real = play.position_at(stop["at"] - 0.03)
    if stopped and real is not None:
        check.measured["stopped_offset"] = stopped[0]["offset"]
        check.measured["real_at_stop"] = round(real)
        if abs((stopped[0]["offset"] or 0) - real) > OFFSET_MS:
            check.fail(f"PlayStopped says {stopped[0]['offset']}, the output was at {real:.0f}")
    assert not check.problems, check.verdict()
