"""Progress reports in media time, interpolated between ticks; the durationInMilliseconds cut."""

from __future__ import annotations

import random

import pytest
from structlog.testing import capture_logs

from clova_client.agents.audioplayer_state import playback_state, repeat_of
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.status import Activity
from clova_client.protocol.audioplayer import RepeatMode
from tests.player.conftest import HarnessFactory
from tests.player.helpers import deliver, play, reported, reports, stream, url_of

A = url_of("a")


async def test_begin_3500_delay_1000_interval_2000_as_the_guide_asks(
    new_harness: HarnessFactory,
) -> None:
    """The issue's measurement: the AVS rule gave no Delay and Intervals at 4001, 6000, ..."""
    h = await new_harness({A: FakeMedia(12_000)})
    await h.audio.play(play("a", begin=3500, delay=1000, interval=2000))
    await h.run(9)
    assert h.names() == [
        "PlayStarted",
        "ProgressReportDelayPassed",
        *["ProgressReportIntervalPassed"] * 4,
        "PlayFinished",
    ]
    expected = [
        ("Delay", 4500),
        ("Interval", 5500),
        ("Interval", 7500),
        ("Interval", 9500),
        ("Interval", 11500),
    ]
    assert reported(h.sent) == expected
    assert reports(h.sent) == expected  # the context's offset agrees
    progress = [s for s in h.sent if s.name.startswith("ProgressReport")]
    assert [s.at for s in progress] == pytest.approx([1.0, 2.0, 4.0, 6.0, 8.0], abs=0.001)
    assert h.sent[0].offset == 3500  # sounding from the start position
    assert h.sent[0].at == pytest.approx(0.0, abs=0.001)


async def test_the_guides_podcast_reports_each_minute_of_playback(
    new_harness: HarnessFactory,
) -> None:
    """Handle_Audio_Playback.md's podcast: beginAtInMilliseconds 419704, interval 60000 (the AVS
    rule reported at 420000, 0.3 s after the start)."""
    h = await new_harness({A: FakeMedia(1_800_000)})
    stream_raw = stream("a", begin=419704, interval=60000)
    stream_raw["progressReport"]["progressReportDelayInMilliseconds"] = None
    await h.audio.play(play("a", stream_raw=stream_raw))
    await h.run(59.9)
    assert reports(h.sent) == []
    await h.run(60.2)
    assert reported(h.sent) == [("Interval", 479704), ("Interval", 539704)]
    assert [s.at for s in h.sent[1:]] == pytest.approx([60.0, 120.0], abs=0.001)


async def test_an_odd_begin_counts_whole_intervals_of_playback(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.audio.play(play("a", begin=1300, interval=1000))
    await h.run(3.1)
    assert reported(h.sent) == [("Interval", 2300), ("Interval", 3300), ("Interval", 4300)]


async def test_a_pause_is_not_playback(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(20_000)})
    await h.audio.play(play("a", begin=3500, delay=1000, interval=2000))
    await h.run(0.8)  # 3500 -> 4300
    assert await h.engine.pause()
    await h.run(30)
    assert reports(h.sent) == []
    assert await h.engine.resume()
    await h.run(1.5)  # 4300 -> 5800
    assert h.names()[1:] == [
        "PlayPaused",
        "PlayResumed",
        "ProgressReportDelayPassed",
        "ProgressReportIntervalPassed",
    ]
    assert reported(h.sent) == [("Delay", 4500), ("Interval", 5500)]
    delay, interval = h.sent[-2:]
    assert delay.at == pytest.approx(31.0, abs=0.001)  # 0.2 s of playback after the resume
    assert interval.at == pytest.approx(32.0, abs=0.001)


async def test_no_reports_while_paused_and_none_repeated_after_resume(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.audio.play(play("a", interval=1000, delay=2800))
    await h.run(2.6)
    assert reports(h.sent) == [("Interval", 1000), ("Interval", 2000)]
    assert await h.engine.pause()
    assert not await h.engine.pause()
    paused = h.sent[-1]
    assert paused.name == "PlayPaused" and paused.activity == "PAUSED"
    assert paused.offset == 2600
    await h.run(30)
    assert h.sent[-1] is paused
    assert playback_state(h.engine.status()).offset_ms == 2600
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


async def test_repeat_one_reports_again_on_every_play(new_harness: HarnessFactory) -> None:
    h = await new_harness({A: FakeMedia(2000)})
    h.engine.set_repeat(repeat_of(RepeatMode.REPEAT_ONE))
    await h.audio.play(play("a", delay=500, interval=1500))
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
    await h.audio.play(play("a", delay=1234, interval=2000, position=7777))
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
        assert report.reported == target  # the payload names the report's own offset
        assert abs((report.offset or 0) - target) <= 100, (report.name, target, report.offset)
        assert abs(media_ms - target) <= 100, (report.name, target, media_ms)
    # scheduled between ticks, not merely noticed at the next tick
    assert any(min(abs(r.at - t) for t in tick_times) > 0.02 for r in got)


async def test_duration_ends_playback_at_begin_plus_duration(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(60_000), url_of("b"): FakeMedia(60_000)})
    await h.audio.play(play("a", begin=1000, duration=2000, position=3000))
    await h.audio.play(play("b", "ENQUEUE"))
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
    await h.audio.play(play("a", duration=1000))
    await h.run(1.5)
    assert h.names() == ["PlayStarted", "PlayFinished"]
    assert h.backend.calls[-1] == ("stop", None)
    assert h.engine.state is Activity.STOPPED
    assert playback_state(h.engine.status()).offset_ms == 1000
    await h.run(60)
    assert h.names() == ["PlayStarted", "PlayFinished"]


async def test_new_values_in_a_stream_deliver_apply_from_then_on(
    new_harness: HarnessFactory,
) -> None:
    url = "https://cdn.example/x.mp3"
    h = await new_harness({url: FakeMedia(30_000)})
    held = stream("x", playable=False, begin=1000, interval=2000)
    await h.audio.play(play("x", stream_raw=held))
    await h.audio.stream_deliver(deliver("x", {"url": url, "urlPlayable": True}))
    await h.run(2.5)  # 1000 -> 3500: 2500 ms played
    assert reported(h.sent) == [("Interval", 3000)]
    new_values = {
        "progressReportDelayInMilliseconds": 3500,
        "progressReportIntervalInMilliseconds": 3000,
        "progressReportPositionInMilliseconds": 4800,
    }
    with capture_logs() as logs:
        await h.audio.stream_deliver(deliver("x", {"progressReport": new_values}))
    assert [e["event"] for e in logs] == ["player.stream_updated"]
    assert logs[0]["played_ms"] == 2500 and logs[0]["url_changed"] is False
    assert h.played() == [MediaSource(1, url, 1000)]  # the sound goes on, not reopened
    await h.run(4)  # -> 7500
    assert reported(h.sent) == [
        ("Interval", 3000),
        ("Interval", 4000),  # 3000 ms played
        ("Delay", 4500),  # 3500 ms played
        ("Position", 4800),
        ("Interval", 7000),  # 6000 ms played
    ]
    assert h.sent[-1].state["stream"]["progressReport"] == new_values
    assert h.sent[-1].state["stream"]["url"] == url
    await h.audio.stream_deliver(
        deliver("x", {"progressReport": {"progressReportIntervalInMilliseconds": 0}})
    )
    await h.run(10)
    assert len(reports(h.sent)) == 5
    assert playback_state(h.engine.status()).offset_ms == 17_500
