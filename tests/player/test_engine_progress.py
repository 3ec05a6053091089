"""Progress reports in media time, interpolated between ticks; the durationInMilliseconds cut."""

from __future__ import annotations

import random

import pytest

from clova_client.player.fake import FakeMedia
from clova_client.protocol.audioplayer import PlayerActivity, RepeatMode
from tests.player.conftest import HarnessFactory
from tests.player.helpers import Sent, play, url_of

A = url_of("a")


def reports(sent: list[Sent]) -> list[tuple[str, int | None]]:
    return [
        (s.name.removeprefix("ProgressReport").removesuffix("Passed"), s.offset)
        for s in sent
        if s.name.startswith("ProgressReport")
    ]


async def test_delay_is_skipped_when_begin_at_is_past_it(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(9000)})
    await h.engine.play(play("a", begin=5000, delay=3000, interval=2000))
    await h.run(5)
    assert h.names() == [
        "PlayStarted",
        "ProgressReportIntervalPassed",
        "ProgressReportIntervalPassed",
        "PlayFinished",
    ]
    assert reports(h.sent) == [("Interval", 6000), ("Interval", 8000)]
    assert h.sent[0].offset == 5000  # sounding from the start position
    assert h.sent[0].at == pytest.approx(0.0, abs=0.001)


async def test_interval_fires_at_whole_multiples_from_an_odd_begin(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.engine.play(play("a", begin=1300, interval=1000))
    await h.run(3)
    assert reports(h.sent) == [("Interval", 2000), ("Interval", 3000), ("Interval", 4000)]


async def test_no_reports_while_paused_and_none_repeated_after_resume(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.engine.play(play("a", interval=1000, delay=2800))
    await h.run(2.6)
    assert reports(h.sent) == [("Interval", 1000), ("Interval", 2000)]
    assert await h.engine.pause()
    assert not await h.engine.pause()
    paused = h.sent[-1]
    assert paused.name == "PlayPaused" and paused.activity == "PAUSED"
    assert paused.offset == 2600
    await h.run(30)
    assert h.sent[-1] is paused
    assert h.engine.playback_state().offset_ms == 2600
    assert await h.engine.resume()
    await h.run(1.5)  # 2600 -> 4100
    assert h.names()[h.sent.index(paused) :] == [
        "PlayPaused",
        "PlayResumed",
        "ProgressReportDelayPassed",
        "ProgressReportIntervalPassed",
        "ProgressReportIntervalPassed",
    ]
    resumed = h.named("PlayResumed")[0]
    assert resumed.offset == 2600  # PLAYING, then the backend's tick at the paused position
    assert resumed.at == pytest.approx(32.6, abs=0.001)
    assert reports(h.sent) == [
        ("Interval", 1000),
        ("Interval", 2000),
        ("Delay", 2800),
        ("Interval", 3000),
        ("Interval", 4000),
    ]


async def test_seek_back_repeats_no_report(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.engine.play(play("a", interval=1000, position=2500))
    await h.run(3.2)
    assert reports(h.sent) == [
        ("Interval", 1000),
        ("Interval", 2000),
        ("Position", 2500),
        ("Interval", 3000),
    ]
    assert await h.engine.seek(500)
    await h.run(3.2)  # plays 500 -> 3700: all of it reported before
    assert len(reports(h.sent)) == 4
    await h.run(0.5)  # crosses 4000: new
    assert reports(h.sent)[-1] == ("Interval", 4000)
    assert h.names().count("PlayStarted") == 1


async def test_seek_forward_skips_unplayed_reports(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(20_000)})
    await h.engine.play(play("a", interval=1000, position=5000))
    await h.run(1.1)
    await h.engine.seek(7400)
    await h.run(0.8)
    assert reports(h.sent) == [("Interval", 1000), ("Interval", 8000)]
    assert reports(h.sent)[-1][1] == 8000


async def test_repeat_one_reports_again_on_every_play(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(2000)})
    h.engine.set_repeat_mode(RepeatMode.REPEAT_ONE)
    await h.engine.play(play("a", delay=500, interval=1500))
    await h.run(4.3)
    assert h.names() == [
        "PlayStarted",
        "ProgressReportDelayPassed",
        "ProgressReportIntervalPassed",
        "PlayFinished",
        "PlayStarted",
        "ProgressReportDelayPassed",
        "ProgressReportIntervalPassed",
        "PlayFinished",
        "PlayStarted",
    ]
    assert reports(h.sent) == [("Delay", 500), ("Interval", 1500)] * 2


async def test_reports_are_within_100_ms_of_their_targets_with_irregular_ticks(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    rng = random.Random(20240611)
    await h.engine.play(play("a", delay=1234, interval=2000, position=7777))
    h.backend.emit_playing()
    h.backend.emit_length(20_000)
    started_at = h.clock.now()
    tick_times: list[float] = []
    while h.clock.now() - started_at < 15:
        await h.run(rng.uniform(0.25, 0.30))
        true_ms = round((h.clock.now() - started_at) * 1000)
        h.backend.emit_time(max(1, true_ms + rng.randint(-40, 40)))  # libVLC: +/-40 ms
        tick_times.append(h.clock.now())
        await h.settle()
    got = [s for s in h.sent if s.name.startswith("ProgressReport")]
    targets = [1234, 2000, 4000, 6000, 7777, 8000, 10000, 12000, 14000]
    assert [r.name for r in got] == [
        "ProgressReportDelayPassed",
        *["ProgressReportIntervalPassed"] * 3,
        "ProgressReportPositionPassed",
        *["ProgressReportIntervalPassed"] * 4,
    ]
    for report, target in zip(got, targets, strict=True):
        media_ms = (report.at - started_at) * 1000  # where the sound really was
        assert abs((report.offset or 0) - target) <= 100, (report.name, target, report.offset)
        assert abs(media_ms - target) <= 100, (report.name, target, media_ms)
    # scheduled between ticks, not merely noticed at the next tick
    assert any(min(abs(r.at - t) for t in tick_times) > 0.02 for r in got)


async def test_duration_ends_playback_at_begin_plus_duration(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(60_000), url_of("b"): FakeMedia(60_000)})
    await h.engine.play(play("a", begin=1000, duration=2000, position=3000))
    await h.engine.play(play("b", "ENQUEUE"))
    finished = await h.run_until("PlayFinished")
    of_a = h.sent[: h.sent.index(finished) + 1]
    assert [s.name for s in of_a] == [
        "PlayStarted",
        "ProgressReportPositionPassed",
        "PlayFinished",
    ]
    assert finished.at == pytest.approx(2.0, abs=0.01)
    assert finished.offset == 3000
    assert all(s.state["totalInMilliseconds"] == 2000 for s in of_a)
    await h.run(0.3)
    assert h.names(with_token=True)[len(of_a) :] == [("PlayStarted", "tok-b")]
    started_b = h.sent[-1]
    assert started_b.at == pytest.approx(2.0, abs=0.01)  # at once: its first tick is at 0
    assert started_b.state["totalInMilliseconds"] == 60_000  # media length


async def test_duration_cut_stops_the_backend_when_nothing_follows(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(60_000)})
    await h.engine.play(play("a", duration=1000))
    await h.run(1.5)
    assert h.names() == ["PlayStarted", "PlayFinished"]
    assert h.backend.calls[-1] == ("stop", None)
    assert h.engine.state is PlayerActivity.STOPPED
    assert h.engine.playback_state().offset_ms == 1000
    await h.run(60)
    assert h.names() == ["PlayStarted", "PlayFinished"]
