"""Progress reports and seeks (a seek neither adds nor removes playback; Position reported at once
when a seek goes past it, again after a seek back) and the ordering of a late seek or pause."""

from __future__ import annotations

import asyncio

import pytest

from clova_client.agents.audioplayer_state import playback_state
from clova_client.player.backends.fake import FakeMedia
from tests.player.conftest import HarnessFactory
from tests.player.helpers import play, reported, reports, url_of

A = url_of("a")


async def test_a_seek_back_counts_on_and_passes_the_position_again(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(10_000)})
    await h.audio.play(play("a", interval=1000, position=2500))
    await h.run(3.2)
    assert reported(h.sent) == [
        ("Interval", 1000),
        ("Interval", 2000),
        ("Position", 2500),
        ("Interval", 3000),
    ]
    assert await h.engine.seek(500)  # 3200 ms played; the seek adds and removes nothing
    assert len(reports(h.sent)) == 4
    await h.run(3.2)  # plays 500 -> 3700: 4000, 5000, 6000 ms of playback at 1300, 2300, 3300
    assert reported(h.sent)[4:] == [
        ("Interval", 1300),
        ("Interval", 2300),
        ("Position", 2500),  # passed again after the seek back before it
        ("Interval", 3300),
    ]
    assert h.names().count("PlayStarted") == 1


async def test_a_seek_past_the_position_reports_it_at_once_with_the_point(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(20_000)})
    await h.audio.play(play("a", interval=1000, position=5000))
    await h.run(1.1)
    assert await h.engine.seek(7400)
    position = h.sent[-1]
    assert (position.name, position.reported) == ("ProgressReportPositionPassed", 5000)
    assert position.offset == 7400 and position.activity == "PLAYING"  # the context: where it is
    assert position.at == pytest.approx(1.1, abs=0.001)
    await h.run(0.8)  # 7400 -> 8200: 1900 ms played in all
    assert reported(h.sent) == [("Interval", 1000), ("Position", 5000)]
    await h.run(0.2)  # -> 8400
    assert reported(h.sent)[-1] == ("Interval", 8300)  # 2000 ms of playback
    assert await h.engine.seek(9000)  # already past it: nothing
    assert await h.engine.seek(4000)  # back before it: re-armed; 2100 ms played
    await h.run(1.1)
    assert reported(h.sent)[-2:] == [("Interval", 4900), ("Position", 5000)]
    assert await h.engine.seek(6000)  # passed by playback already: nothing
    assert len(reports(h.sent)) == 5


async def test_a_seek_past_the_position_while_paused_reports_it_at_once(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness({A: FakeMedia(20_000)})
    await h.audio.play(play("a", position=5000))
    await h.run(1)
    assert await h.engine.pause()
    assert await h.engine.seek(6000)
    position = h.sent[-1]
    assert (position.name, position.reported) == ("ProgressReportPositionPassed", 5000)
    assert position.activity == "PAUSED" and position.offset == 6000
    assert await h.engine.seek(2000)
    assert await h.engine.resume()
    await h.run(3.1)
    assert reported(h.sent) == [("Position", 5000), ("Position", 5000)]
    assert h.sent[-1].at == pytest.approx(4.0, abs=0.001)


async def test_a_stale_tick_after_a_seek_back_counts_no_playback(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", position=3000))
    h.backend.emit_playing()
    h.backend.emit_length(20_000)

    async def tick(ms: int) -> None:
        h.backend.emit_time(ms)
        await h.settle()
        await h.run(0.25)

    for ms in range(0, 4001, 250):
        await tick(ms)
    assert reported(h.sent) == [("Position", 3000)]
    assert await h.engine.seek(1000)
    await tick(4250)  # from before the seek, still in flight: dropped
    assert reported(h.sent) == [("Position", 3000)]
    for ms in range(1000, 3001, 250):
        await tick(ms)
    assert reported(h.sent) == [("Position", 3000), ("Position", 3000)]
    assert playback_state(h.engine.status()).offset_ms == 3250  # interpolated past the last tick


@pytest.mark.parametrize("command", ["seek", "pause"])
async def test_playback_before_a_late_seek_or_pause_is_reported_first(
    new_harness: HarnessFactory, command: str
) -> None:
    """The engine was busy when the Delay fell due and a seek / pause was queued first: the
    Delay is reported at its offset before it (not counted from the seek target, not after the
    resume)."""
    h = await new_harness(simulate=False)
    await h.audio.play(play("a", delay=1000))
    h.backend.emit_playing()
    h.backend.emit_length(20_000)
    h.backend.emit_time(0)
    await h.settle()
    release = asyncio.Event()
    set_volume = h.backend.set_volume

    async def slow_set_volume(percent: int) -> None:
        await release.wait()
        await set_volume(percent)

    h.backend.set_volume = slow_set_volume  # type: ignore[method-assign]
    busy = asyncio.create_task(h.engine.mixer.set_volume(50))
    queued = asyncio.create_task(h.engine.seek(5000) if command == "seek" else h.engine.pause())
    await asyncio.sleep(0)
    h.clock.advance(1.2)  # the Delay's timer posts its job behind the queued command
    release.set()
    await busy
    assert await queued
    await h.settle()
    assert reported(h.sent) == [("Delay", 1000)]
    delay = next(s for s in h.sent if s.name == "ProgressReportDelayPassed")
    assert (delay.offset, delay.activity) == (1200, "PLAYING")  # where the media was then
    assert h.names()[-1] == ("ProgressReportDelayPassed" if command == "seek" else "PlayPaused")
    await h.run(1)
    assert reported(h.sent) == [("Delay", 1000)]
