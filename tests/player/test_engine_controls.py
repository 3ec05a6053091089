"""Pause, resume, stop, seek, the context, snapshot / restore and the on_change hook."""

from __future__ import annotations

from clova_client.agents.audioplayer_state import playback_state, repeat_of
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.status import Activity
from clova_client.protocol.audioplayer import PlayerActivity, RepeatMode
from tests.player.conftest import HarnessFactory
from tests.player.helpers import play, url_of

A, B = url_of("a"), url_of("b")
MEDIA = {A: FakeMedia(10_000), B: FakeMedia(10_000)}


async def test_idle_context_and_report(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    assert playback_state(h.engine.status()).payload() == {
        "playerActivity": "IDLE",
        "repeatMode": "NONE",
    }
    h.engine.report_playback_state()
    event = h.sent[0].event
    assert event.full_name == "AudioPlayer.ReportPlaybackState"
    assert event.context == [
        {
            "header": {"namespace": "AudioPlayer", "name": "PlaybackState"},
            "payload": {"playerActivity": "IDLE", "repeatMode": "NONE"},
        },
        {
            "header": {"namespace": "Speaker", "name": "VolumeState"},
            "payload": {"volume": 100, "muted": False},
        },
    ]
    assert event.payload == {"playerActivity": "IDLE", "repeatMode": "NONE"}
    assert h.engine.token is None and h.engine.state is Activity.IDLE


async def test_playing_context_is_interpolated_between_ticks(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"), dialog_request_id="dlg-1")
    await h.run(1.1)  # last tick at 1000
    state = playback_state(h.engine.status())
    assert state.player_activity is PlayerActivity.PLAYING
    assert state.offset_ms == 1100
    assert state.total_ms == 10_000
    assert state.stream == play("a").audio_item.stream.raw
    assert h.engine.token == "tok-a"
    # newer spec: events carry no dialogRequestId
    assert all(s.event.header.dialog_request_id is None for s in h.sent)


async def test_pause_and_resume(new_harness: HarnessFactory) -> None:
    h = await new_harness(simulate=False)
    assert not await h.engine.pause()
    assert not await h.engine.resume()
    await h.audio.play(play("a"))
    await h.run(0.25)
    h.backend.emit_time(250)
    await h.run(0.25)
    h.backend.emit_time(500)
    await h.run(0.1)
    assert await h.engine.pause()
    assert h.backend.calls[-1] == ("pause", None)
    assert h.names() == ["PlayStarted", "PlayPaused"]
    assert h.sent[-1].offset == 600 and h.sent[-1].activity == "PAUSED"
    await h.run(5)
    assert await h.engine.resume()
    assert h.backend.calls[-1] == ("resume", None)
    assert h.names() == ["PlayStarted", "PlayPaused"]  # resumed only once sound flows
    await h.run(0.02)
    h.backend.emit_time(610)
    await h.settle()
    assert h.names() == ["PlayStarted", "PlayPaused", "PlayResumed"]
    assert h.sent[-1].offset == 610 and h.sent[-1].activity == "PLAYING"
    assert not await h.engine.resume()


async def test_pause_before_any_sound_claims_nothing(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"))
    assert await h.engine.pause()  # still opening
    await h.run(5)
    assert h.names() == []
    state = playback_state(h.engine.status())
    assert state.player_activity is PlayerActivity.PAUSED
    assert state.offset_ms == 0 and h.engine.token == "tok-a"
    assert await h.engine.resume()
    await h.run(0.3)
    assert h.names() == ["PlayStarted"]


async def test_stop_then_resume_restarts_where_it_stopped(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    assert not await h.engine.stop()
    await h.audio.play(play("a"))
    await h.run(2.1)
    assert await h.engine.stop()
    assert not await h.engine.stop()
    assert h.backend.calls[-1] == ("stop", None)
    assert h.names() == ["PlayStarted", "PlayStopped"]
    assert h.sent[-1].offset == 2100 and h.sent[-1].activity == "STOPPED"
    await h.run(10)
    assert h.names() == ["PlayStarted", "PlayStopped"]
    resumed_at = h.clock.now()
    assert await h.engine.resume()
    assert h.backend.calls_named("play")[-1] == MediaSource(2, A, 2100)
    await h.run(0.3)
    # the first tick after PLAYING is at the start: sound from there, no tick later
    assert h.names()[-1] == "PlayStarted" and h.sent[-1].offset == 2100
    assert h.sent[-1].at - resumed_at < 0.01


async def test_seek_while_paused_moves_the_resume_point(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a", duration=5000))
    await h.run(1)
    await h.engine.pause()
    assert await h.engine.seek(9000)  # clamped to the duration
    assert h.backend.calls[-1] == ("seek", 5000)
    assert playback_state(h.engine.status()).offset_ms == 5000
    assert await h.engine.seek(3000)
    resumed_at = h.clock.now()
    await h.engine.resume()
    await h.run(0.3)
    assert h.names()[-1] == "PlayResumed" and h.sent[-1].offset == 3000
    assert h.sent[-1].at - resumed_at < 0.01


async def test_on_change_fires_on_every_transition(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    seen: list[Activity] = []
    h.engine.on_change = lambda: seen.append(h.engine.state)
    await h.audio.play(play("a"))
    await h.run(0.3)
    await h.engine.pause()
    await h.engine.resume()
    await h.run(0.3)
    await h.engine.stop()
    assert seen == [
        Activity.PLAYING,
        Activity.PAUSED,
        Activity.PLAYING,
        Activity.STOPPED,
    ]


async def test_snapshot_and_restore(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    h.engine.set_repeat(repeat_of(RepeatMode.REPEAT_ONE))
    await h.engine.mixer.set_volume(40)
    await h.audio.play(play("a", custom={"x": 1}))
    await h.audio.play(play("b", "ENQUEUE"))
    await h.run(3.1)
    await h.engine.pause()
    snap = h.engine.snapshot()
    assert snap["state"] == "PAUSED"
    assert snap["current"]["audioItemId"] == "a"
    assert snap["current"]["token"] == "tok-a"
    assert snap["current"]["offsetInMilliseconds"] == 3100
    assert snap["current"]["stream"]["custom"] == {"x": 1}
    assert snap["current"]["play"]["audioItem"]["title"] == "Title a"
    assert [p["audioItem"]["audioItemId"] for p in snap["queue"]] == ["b"]
    assert snap["repeat"] == "ONE" and snap["volume"] == 40

    fresh = await new_harness(MEDIA)
    await fresh.engine.restore(snap)
    assert fresh.engine.state is Activity.PAUSED
    assert playback_state(fresh.engine.status()).offset_ms == 3100
    assert playback_state(fresh.engine.status()).repeat_mode is RepeatMode.REPEAT_ONE
    assert fresh.backend.calls_named("play") == []
    assert fresh.backend.volume == 40
    assert fresh.names() == []
    assert await fresh.engine.resume()
    assert fresh.backend.calls_named("play") == [MediaSource(1, A, 3100)]
    await fresh.run(0.3)
    assert fresh.names() == ["PlayResumed"]  # the server saw PlayStarted before the restart
    assert fresh.engine.snapshot()["queue"] == snap["queue"]


async def test_restore_playing_can_resume_at_once(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"))
    await h.run(1)
    snap = h.engine.snapshot()
    fresh = await new_harness(MEDIA)
    await fresh.engine.restore(snap, paused=False)
    await fresh.run(0.3)
    assert fresh.names() == ["PlayResumed"]
    assert fresh.engine.state is Activity.PLAYING


async def test_close_stops_and_releases_the_backend(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"))
    await h.run(1)
    await h.engine.close()
    assert h.backend.calls[-2:] == [("stop", None), ("close", None)]
    assert h.backend.closed
