"""The FakeBackend's simulation behaves the way the engine (and libVLC) expects."""

from __future__ import annotations

from clova_client.player.backend import BackendEvent, BackendEventType, MediaSource
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from tests.player.helpers import SteppingClock

T = BackendEventType


def simulated(
    media: dict[str, FakeMedia], tick_ms: int = 250
) -> tuple[SteppingClock, FakeBackend, list[tuple[float, BackendEvent]]]:
    clock = SteppingClock()
    backend = FakeBackend(clock, media, tick_ms)
    got: list[tuple[float, BackendEvent]] = []
    backend.attach(lambda e: got.append((round(clock.now(), 3), e)))
    return clock, backend, got


def kinds(got: list[tuple[float, BackendEvent]]) -> list[T]:
    return [e.type for _, e in got]


async def test_ok_media_plays_ticks_and_ends_at_its_length() -> None:
    clock, backend, got = simulated({"u": FakeMedia(1000)})
    await backend.play(MediaSource(1, "u"))
    clock.advance(2)
    # as libVLC after its pre-roll: LENGTH, PLAYING and a first TIME at the start, at once
    assert kinds(got) == [T.LENGTH, T.PLAYING, T.TIME, T.TIME, T.TIME, T.TIME, T.ENDED]
    assert [(at, e.time_ms) for at, e in got if e.type is T.TIME] == [
        (0.0, 0),
        (0.25, 250),
        (0.5, 500),
        (0.75, 750),
    ]
    assert got[0][1].length_ms == 1000
    assert [at for at, _ in got[:3]] == [0.0, 0.0, 0.0]
    assert got[-1][0] == 1.0
    assert {e.source_id for _, e in got} == {1}


async def test_start_ms_offsets_every_tick() -> None:
    clock, backend, got = simulated({"u": FakeMedia(10_000)})
    await backend.play(MediaSource(1, "u", start_ms=4000))
    clock.advance(0.6)
    assert kinds(got)[:3] == [T.LENGTH, T.PLAYING, T.TIME]
    assert [(at, e.time_ms) for at, e in got if e.type is T.TIME] == [
        (0.0, 4000),
        (0.25, 4250),
        (0.5, 4500),
    ]


async def test_pause_stops_ticks_and_resume_continues_on_the_same_grid() -> None:
    clock, backend, got = simulated({"u": FakeMedia(10_000)})
    await backend.play(MediaSource(1, "u"))
    clock.advance(0.3)
    await backend.pause()
    clock.advance(5)
    assert kinds(got)[-1] is T.PAUSED
    assert [e.time_ms for _, e in got if e.type is T.TIME] == [0, 250]
    got.clear()
    await backend.resume()
    clock.advance(0.5)
    # PLAYING and a TIME at the paused position at once, then the ticks on the old grid
    assert kinds(got)[:2] == [T.PLAYING, T.TIME]
    assert [(at, e.time_ms) for at, e in got if e.type is T.TIME] == [
        (5.3, 300),
        (5.5, 500),
        (5.75, 750),
    ]


async def test_seek_jumps_and_reports_the_new_time() -> None:
    clock, backend, got = simulated({"u": FakeMedia(10_000)})
    await backend.play(MediaSource(1, "u"))
    clock.advance(0.3)
    await backend.seek(7000)
    clock.advance(0.3)
    assert [e.time_ms for _, e in got if e.type is T.TIME] == [0, 250, 7000, 7250]


async def test_failures_look_like_libvlc() -> None:
    media = {
        "404": FakeMedia(1000, "404"),
        "refused": FakeMedia(1000, "refused"),
        "garbage": FakeMedia(1000, "garbage"),
        "stall": FakeMedia(5000, "stall_at_ms", stall_at_ms=600),
    }
    clock, backend, got = simulated(media)
    for sid, url in enumerate(["404", "refused", "missing"], start=1):
        got.clear()
        await backend.play(MediaSource(sid, url))
        clock.advance(1)
        assert kinds(got) == [T.ERROR]
        assert got[0][1].reason
    got.clear()
    await backend.play(MediaSource(9, "garbage"))
    clock.advance(1)
    assert kinds(got) == [T.PLAYING, T.ENDED]
    got.clear()
    await backend.play(MediaSource(10, "stall"))
    clock.advance(30)
    assert [e.time_ms for _, e in got if e.type is T.TIME] == [0, 250, 500]
    assert T.ENDED not in kinds(got)


async def test_no_time_where_no_sound_flows() -> None:
    media = {
        "dead": FakeMedia(5000, "stall_at_ms", stall_at_ms=0),
        "late": FakeMedia(5000, "stall_at_ms", stall_at_ms=600),
    }
    clock, backend, got = simulated(media)
    await backend.play(MediaSource(1, "dead"))
    clock.advance(30)
    assert kinds(got) == [T.LENGTH, T.PLAYING]  # opened, but not one PCM block
    got.clear()
    await backend.play(MediaSource(2, "late", start_ms=600))
    clock.advance(30)
    assert kinds(got) == [T.LENGTH, T.PLAYING]
    got.clear()
    await backend.play(MediaSource(3, "late"))
    clock.advance(1)  # frozen at 600 (last tick 500)
    await backend.pause()
    await backend.resume()
    clock.advance(30)
    assert [e.time_ms for _, e in got if e.type is T.TIME] == [0, 250, 500]
    assert kinds(got)[-2:] == [T.PAUSED, T.PLAYING]  # resumed, still silent


async def test_play_replaces_and_stop_silences() -> None:
    clock, backend, got = simulated({"a": FakeMedia(5000), "b": FakeMedia(5000)})
    await backend.play(MediaSource(1, "a"))
    clock.advance(0.3)
    await backend.play(MediaSource(2, "b"))
    clock.advance(0.3)
    assert {e.source_id for at, e in got if at > 0.3} == {2}
    await backend.stop()
    got.clear()
    clock.advance(5)
    assert got == []
    assert backend.current is None


async def test_cid_sources_are_looked_up_by_their_url() -> None:
    clock, backend, got = simulated({"cid:abc": FakeMedia(500)})
    await backend.play(MediaSource(1, "cid:abc", data=b"RIFF"))
    clock.advance(1)
    assert kinds(got)[-1] is T.ENDED


async def test_records_calls_and_manual_triggers_use_the_current_source() -> None:
    backend = FakeBackend()
    got: list[BackendEvent] = []
    backend.attach(got.append)
    source = MediaSource(3, "u")
    await backend.play(source)
    await backend.prepare(MediaSource(4, "v"))
    await backend.set_volume(40)
    await backend.set_mute(True)
    await backend.seek(100)
    backend.emit_playing()
    backend.emit_time(300)
    backend.emit_length(900)
    backend.emit_error("boom")
    assert backend.calls == [
        ("play", source),
        ("prepare", MediaSource(4, "v")),
        ("set_volume", 40),
        ("set_mute", True),
        ("seek", 100),
    ]
    assert backend.volume == 40 and backend.muted
    assert [(e.source_id, e.type) for e in got] == [
        (3, T.PLAYING),
        (3, T.TIME),
        (3, T.LENGTH),
        (3, T.ERROR),
    ]
    assert got[1].time_ms == 300 and got[2].length_ms == 900 and got[3].reason == "boom"
