"""The PlayerBackend contract: every test runs against FakeBackend and VlcBackend("null").

Positions are asserted in media time (the TIME / LENGTH values) and by event order, never by
how long anything took on the wall clock.
"""

from __future__ import annotations

import pytest

from clova_client.player.backend import BackendEventType as T
from tests.player.contract.harness import BackendHarness, Fmt, Kind

TICK_SLACK_MS = 350
"""libVLC reports time every 250-330 ms (Ogg pages: up to ~500 ms); the fake every 250 ms."""


def assert_one_source(h: BackendHarness, mark: int, source_id: int) -> None:
    others = [e for e in h.since(mark) if e.source_id != source_id]
    assert not others, f"events of another source after the switch: {others}"


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [
        ("ok", "mp3"),
        ("ok", "wav"),
        ("ok", "ogg"),
        ("norange", "mp3"),
        ("chunked", "mp3"),
        ("data", "mp3"),
    ],
)
async def test_play_reports_playing_then_advancing_time(
    h: BackendHarness, kind: Kind, fmt: Fmt
) -> None:
    src = await h.play(kind, fmt=fmt, length_ms=3000)
    await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 1200)
    types = [e.type for e in h.events]
    assert T.PLAYING in types
    assert types.index(T.PLAYING) < types.index(T.TIME)
    times = h.times()
    assert len(times) >= 3
    assert times == sorted(times), f"time went backwards: {times}"
    assert times[-1] > times[0]
    assert all(e.source_id == src.source_id for e in h.events)
    assert not h.since(0, T.ERROR)


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
async def test_length_is_close_to_the_real_length(h: BackendHarness, fmt: Fmt) -> None:
    await h.play("ok", fmt=fmt, length_ms=3000)
    length = await h.wait_for(T.LENGTH)
    assert length.length_ms is not None
    # MP3 frames round up the length (3000 ms of noise -> 3056 ms at 44.1 kHz).
    assert abs(length.length_ms - 3000) <= 100


async def test_pause_stops_time_and_resume_restarts_it(h: BackendHarness) -> None:
    await h.play("ok", fmt="mp3", length_ms=4000)
    before = await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 500)
    mark = h.mark()
    await h.backend.pause()
    paused = await h.wait_for(T.PAUSED, after=mark)
    at_pause = h.events.index(paused)
    await h.run_for(800)
    assert not h.since(at_pause, T.TIME), "TIME while paused"
    assert not h.since(at_pause, T.ENDED)
    resume_mark = h.mark()
    await h.backend.resume()
    after = await h.wait_for(
        T.TIME,
        lambda e: (e.time_ms or 0) > (before.time_ms or 0),
        after=resume_mark,
        within_ms=2000,
    )
    # Resuming continues where it paused (no jump back, nothing skipped while paused).
    last_before_pause = max(h.times(0)[: len(h.times(0)) - len(h.times(resume_mark))])
    assert after.time_ms is not None
    assert last_before_pause <= after.time_ms <= last_before_pause + 2 * TICK_SLACK_MS
    playing = h.since(resume_mark, T.PLAYING)
    assert playing, "no PLAYING after resume"
    assert h.events.index(playing[0]) < h.events.index(after)


async def test_pause_before_the_first_time_holds_the_start(h: BackendHarness) -> None:
    await h.play("ok", fmt="mp3", length_ms=3000)
    await h.backend.pause()
    await h.wait_for(T.PAUSED)
    mark = h.mark()
    await h.run_for(700)
    assert not h.since(0, T.TIME)
    await h.backend.resume()
    first = await h.wait_for(T.TIME, after=mark, within_ms=2000)
    assert first.time_ms is not None and first.time_ms <= TICK_SLACK_MS


@pytest.mark.parametrize(
    ("kind", "fmt"), [("ok", "mp3"), ("ok", "wav"), ("chunked", "mp3"), ("data", "wav")]
)
async def test_start_offset_is_honoured(h: BackendHarness, kind: Kind, fmt: Fmt) -> None:
    await h.play(kind, fmt=fmt, length_ms=4000, start_ms=1500)
    first = await h.wait_for(T.TIME)
    assert first.time_ms is not None
    assert 1500 - 50 <= first.time_ms <= 1500 + TICK_SLACK_MS
    await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 2000)
    assert min(h.times()) >= 1450


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
async def test_seek_forward_and_back(h: BackendHarness, fmt: Fmt) -> None:
    await h.play("ok", fmt=fmt, length_ms=4000)
    await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 250)
    mark = h.mark()
    await h.backend.seek(2500)
    await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 2500, after=mark, within_ms=1500)
    settled = h.mark()
    await h.run_for(400)
    assert all(t >= 2500 for t in h.times(settled))
    back = h.mark()
    await h.backend.seek(500)
    landed = await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) < 2000, after=back, within_ms=1500)
    assert landed.time_ms is not None and 500 <= landed.time_ms <= 500 + TICK_SLACK_MS


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
async def test_end_is_reported_once_near_the_length(h: BackendHarness, fmt: Fmt) -> None:
    src = await h.play("ok", fmt=fmt, length_ms=2000)
    ended = await h.wait_for(T.ENDED, within_ms=4000)
    at_end = h.events.index(ended)
    times = h.times()
    # The media clock ran up to the end: the last tick falls within one tick of the length,
    # never past it (an output that drains early ends a second short).
    assert 2000 - 2 * TICK_SLACK_MS <= times[-1] <= 2000 + 100
    await h.run_for(500)
    assert h.since(at_end + 1) == []
    assert [e.type for e in h.events].count(T.ENDED) == 1
    assert not h.since(0, T.ERROR)
    assert all(e.source_id == src.source_id for e in h.events)


@pytest.mark.parametrize("kind", ["404", "refused"])
async def test_unreachable_media_reports_error(h: BackendHarness, kind: Kind) -> None:
    src = await h.play(kind)
    error = await h.wait_for(T.ERROR, within_ms=2000)
    assert error.source_id == src.source_id
    assert error.reason
    await h.run_for(300)
    assert not h.since(0, T.TIME)
    assert not h.since(0, T.ENDED)


async def test_garbage_never_reports_time_and_ends_or_fails(h: BackendHarness) -> None:
    await h.play("garbage")
    end = await h.wait_any((T.ENDED, T.ERROR), within_ms=2000)
    assert end.type in (T.ENDED, T.ERROR)
    await h.run_for(300)
    assert not h.since(0, T.TIME)


async def test_a_stalled_stream_stops_reporting_time(h: BackendHarness) -> None:
    await h.play("stall", fmt="mp3", length_ms=3000)
    await h.run_for(3000 + 500)  # past where the media would have ended
    frozen = h.mark()
    await h.run_for(1000)
    assert not h.since(frozen, T.TIME), "time still moving on a stalled stream"
    assert not h.since(0, T.ENDED)
    assert all(t < 3000 * 0.8 for t in h.times())


async def test_a_new_source_silences_the_old_one(h: BackendHarness) -> None:
    a = await h.play("ok", fmt="mp3", length_ms=3000)
    await h.wait_for(T.TIME, lambda e: e.source_id == a.source_id)
    # A burst of replacements, each before the one before it ever reported anything.
    replaced = [await h.play("ok", fmt=fmt, length_ms=3000) for fmt in ("wav", "mp3", "wav")]
    c_mark = h.mark()
    c = await h.play("ok", fmt="mp3", length_ms=3000)
    after_c = h.mark()
    await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 500, after=after_c)
    assert_one_source(h, after_c, c.source_id)
    # Nothing of the earlier ones slips in between the last two play calls either.
    old_ids = {a.source_id, *(s.source_id for s in replaced[:-1])}
    assert all(e.source_id not in old_ids for e in h.since(c_mark))


async def test_prepared_source_plays_from_its_start(h: BackendHarness) -> None:
    a = await h.play("ok", fmt="mp3", length_ms=2000)
    await h.wait_for(T.TIME, lambda e: e.source_id == a.source_id)
    b = h.source("ok", fmt="wav", length_ms=2000, start_ms=300)
    await h.backend.prepare(b)
    await h.wait_for(T.ENDED, lambda e: e.source_id == a.source_id, within_ms=3000)
    mark = h.mark()
    await h.backend.play(b)
    first = await h.wait_for(T.TIME, after=mark)
    assert first.source_id == b.source_id
    assert first.time_ms is not None and 300 - 50 <= first.time_ms <= 300 + TICK_SLACK_MS
    await h.wait_for(T.ENDED, lambda e: e.source_id == b.source_id, after=mark, within_ms=3000)
    assert_one_source(h, mark, b.source_id)
    types = [e.type for e in h.since(mark)]
    assert types.index(T.PLAYING) < types.index(T.TIME) < types.index(T.ENDED)


async def test_stop_ends_every_event(h: BackendHarness) -> None:
    await h.play("ok", fmt="mp3", length_ms=1500)
    await h.wait_for(T.TIME)
    await h.backend.stop()
    mark = h.mark()
    await h.run_for(1800)  # past where it would have ended
    assert h.since(mark) == []


async def test_stop_while_opening_ends_every_event(h: BackendHarness) -> None:
    await h.play("ok", fmt="mp3", length_ms=1500)
    await h.backend.stop()
    mark = h.mark()
    await h.run_for(1800)
    assert h.since(mark) == []


async def test_volume_and_mute_round_trip(h: BackendHarness) -> None:
    await h.backend.set_volume(30)
    await h.play("ok", fmt="mp3", length_ms=3000)
    await h.wait_for(T.TIME)
    assert await h.applied_volume((30, False)) == (30, False)
    await h.backend.set_mute(True)
    assert await h.applied_volume((30, True)) == (30, True)
    await h.backend.set_volume(55)
    assert await h.applied_volume((55, True)) == (55, True)
    # A new source keeps them.
    mark = h.mark()
    await h.play("ok", fmt="wav", length_ms=3000)
    await h.wait_for(T.TIME, after=mark)
    assert await h.applied_volume((55, True)) == (55, True)
    await h.backend.set_mute(False)
    assert await h.applied_volume((55, False)) == (55, False)
