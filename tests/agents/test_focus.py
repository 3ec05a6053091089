"""AudioFocus: the dialog ducks or pauses the content, and the content comes back once, as the
user left it (the volume they set since; not resumed when the dialog changed what plays)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from clova_client.agents.audioplayer_items import AudioPlayerPlays, item_of_saved
from clova_client.agents.focus import AudioFocus, FocusMode
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.player.status import Activity
from tests.agents.voice_rig import VoiceRig, make_rig, speak
from tests.player.helpers import play, url_of

A, B = url_of("a"), url_of("b")
MUSIC = {A: FakeMedia(600_000), B: FakeMedia(600_000)}
RigFactory = Callable[..., Awaitable[VoiceRig]]


@pytest.fixture
async def new_rig() -> AsyncIterator[RigFactory]:
    made: list[VoiceRig] = []

    async def factory(**kwargs: object) -> VoiceRig:
        rig = await make_rig(content_media=MUSIC, **kwargs)  # type: ignore[arg-type]
        made.append(rig)
        return rig

    yield factory
    for rig in made:
        await rig.close()


async def playing(rig: VoiceRig, item: str = "a") -> None:
    await AudioPlayerPlays(rig.engine).play(play(item))
    await rig.run(0.5)
    assert state(rig) is Activity.PLAYING


def state(rig: VoiceRig) -> Activity:
    """The content engine's state now (a call: mypy does not narrow it across awaits)."""
    return rig.engine.state


def calls_since(backend: FakeBackend, mark: int, *names: str) -> list[tuple[str, object]]:
    return [c for c in backend.calls[mark:] if c[0] in names]


# --- duck ------------------------------------------------------------------------------------


async def test_duck_lowers_the_content_only_and_a_volume_change_lands_on_both(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig()
    await playing(rig)
    await rig.mixer.set_volume(60)
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), {"c1": b"mp3"})
    assert rig.focus.holders == {"speech"}
    assert rig.mixer.ducked and rig.mixer.content_volume == 12  # 60 * 20 / 100
    assert rig.content.volume == 12
    assert rig.speech_out.volume == 60  # the answer at the user's volume

    await rig.mixer.set_volume(80)  # VolumeUp during the speech
    assert rig.content.volume == 16 and rig.speech_out.volume == 80

    rig.speech_out.emit_time(0)
    rig.speech_out.emit_ended()
    await rig.settle()
    assert not rig.focus.held and not rig.mixer.ducked
    assert rig.content.volume == 80  # back at the new level, not the old 60
    assert rig.mixer.volume == 80 and state(rig) is Activity.PLAYING
    assert "pause" not in [c for c, _ in rig.content.calls]


@pytest.mark.parametrize(("percent", "volume", "ducked"), [(50, 70, 35), (0, 70, 0), (100, 70, 70)])
async def test_duck_percent(new_rig: RigFactory, percent: int, volume: int, ducked: int) -> None:
    rig = await new_rig(duck_percent=percent)
    await rig.mixer.set_volume(volume)
    await rig.focus.acquire("listening")
    assert rig.content.volume == ducked == rig.mixer.content_volume
    await rig.focus.release("listening")
    assert rig.content.volume == volume


async def test_mute_during_the_duck_lands_on_both_outputs(new_rig: RigFactory) -> None:
    rig = await new_rig()
    await rig.mixer.attach_speech(rig.speech_out)
    await rig.focus.acquire("speech")
    await rig.mixer.set_mute(True)
    assert rig.content.muted and rig.speech_out.muted
    await rig.focus.release("speech")
    assert rig.content.muted and rig.content.volume == 100  # unducked, still muted


async def test_nested_holders_duck_once_and_restore_once_at_the_last_release(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig()
    await rig.mixer.set_volume(50)
    mark = len(rig.content.calls)
    await rig.focus.acquire("listening")
    await rig.focus.acquire("speech")
    await rig.focus.release("listening")
    await rig.focus.acquire("expecting")
    await rig.focus.release("speech")
    assert rig.mixer.ducked and rig.content.volume == 10
    await rig.focus.release("nobody")  # not a holder: nothing
    assert rig.mixer.ducked
    await rig.focus.release("expecting")
    assert not rig.focus.held and not rig.mixer.ducked
    assert calls_since(rig.content, mark, "set_volume") == [("set_volume", 10), ("set_volume", 50)]


# --- pause -----------------------------------------------------------------------------------


async def test_pause_mode_pauses_only_the_engine_that_plays_and_resumes_it(
    new_rig: RigFactory,
) -> None:
    rig = await new_rig(mode=FocusMode.PAUSE)
    idle_out = FakeBackend(rig.clock, dict(MUSIC))
    idle = PlayerEngine(idle_out, rig.clock, PlayerSettings(), rig.mixer, item_of_saved)
    await idle.start()
    focus = AudioFocus(rig.mixer, [rig.engine, idle], FocusMode.PAUSE)
    await playing(rig)
    mark = len(rig.content.calls)

    await focus.acquire("listening")
    await rig.run(0.5)
    assert state(rig) is Activity.PAUSED
    assert not rig.mixer.ducked and rig.content.volume == 100  # paused, not ducked
    assert idle.state is Activity.IDLE and idle_out.calls_named("pause") == []
    await focus.release("listening")
    await rig.run(0.5)
    assert state(rig) is Activity.PLAYING
    assert [c for c, _ in calls_since(rig.content, mark, "pause", "resume")] == ["pause", "resume"]
    assert idle_out.calls_named("resume") == [] and idle.state is Activity.IDLE
    await idle.close()


async def test_pause_mode_nested_holders_pause_once_and_resume_once(new_rig: RigFactory) -> None:
    rig = await new_rig(mode=FocusMode.PAUSE)
    await playing(rig)
    mark = len(rig.content.calls)
    await rig.focus.acquire("listening")
    await rig.focus.acquire("speech")
    await rig.focus.release("listening")
    await rig.focus.acquire("expecting")
    await rig.focus.release("speech")
    await rig.run(0.5)
    assert state(rig) is Activity.PAUSED
    await rig.focus.release("expecting")
    await rig.run(0.5)
    assert state(rig) is Activity.PLAYING
    assert [c for c, _ in calls_since(rig.content, mark, "pause", "resume")] == ["pause", "resume"]


async def _play_b(rig: VoiceRig) -> None:
    await AudioPlayerPlays(rig.engine).play(play("b"))


async def _stop(rig: VoiceRig) -> None:
    await rig.engine.stop()


async def _pause(rig: VoiceRig) -> None:
    await rig.engine.pause()  # already paused by the focus: the user's pause all the same


@pytest.mark.parametrize(
    ("command", "then"),
    [(_play_b, Activity.PLAYING), (_stop, Activity.STOPPED), (_pause, Activity.PAUSED)],
    ids=["play", "stop", "pause"],
)
async def test_pause_mode_a_command_during_the_dialog_wins(
    new_rig: RigFactory, command: Callable[[VoiceRig], Awaitable[None]], then: Activity
) -> None:
    rig = await new_rig(mode=FocusMode.PAUSE)
    await playing(rig)
    await rig.focus.acquire("speech")
    await rig.run(0.5)
    await command(rig)
    await rig.run(0.5)
    mark = len(rig.content.calls)
    await rig.focus.release("speech")
    await rig.run(1.0)
    assert calls_since(rig.content, mark, "resume", "play") == []  # not resumed by the focus
    assert state(rig) is then
    if then is Activity.PLAYING:
        assert rig.engine.token == "tok-b"


async def test_pause_mode_music_the_user_paused_stays_paused(new_rig: RigFactory) -> None:
    rig = await new_rig(mode=FocusMode.PAUSE)
    await playing(rig)
    await rig.engine.pause()
    await rig.run(0.5)
    mark = len(rig.content.calls)
    await rig.focus.acquire("speech")
    await rig.focus.release("speech")
    await rig.run(0.5)
    assert state(rig) is Activity.PAUSED
    assert calls_since(rig.content, mark, "pause", "resume") == []


async def test_pause_mode_music_that_was_opening_does_not_sound_under_the_dialog(
    new_rig: RigFactory,
) -> None:
    """A Play still opening (no sound yet: the engine reports IDLE) when the dialog takes the
    focus must not start sounding under the listening / the answer; it plays at the release."""
    rig = await new_rig(mode=FocusMode.PAUSE)
    await AudioPlayerPlays(rig.engine).play(play("a"))  # opening: sound comes at the next step
    await rig.focus.acquire("listening")
    await rig.run(1.0)
    assert state(rig) is not Activity.PLAYING, "music sounds while the dialog holds focus"
    await rig.focus.release("listening")
    await rig.run(1.0)
    assert state(rig) is Activity.PLAYING


async def _enqueue_b(rig: VoiceRig) -> None:
    await AudioPlayerPlays(rig.engine).play(play("b", "ENQUEUE"))


async def _replace_enqueued_b(rig: VoiceRig) -> None:
    await AudioPlayerPlays(rig.engine).play(play("b", "REPLACE_ENQUEUED"))


async def _clear_enqueued(rig: VoiceRig) -> None:
    await rig.engine.clear_queue(stop=False)


@pytest.mark.parametrize(
    "command",
    [_enqueue_b, _replace_enqueued_b, _clear_enqueued],
    ids=["play-enqueue", "play-replace-enqueued", "clear-queue-enqueued"],
)
async def test_pause_mode_a_queue_change_during_the_dialog_still_resumes_the_music(
    new_rig: RigFactory, command: Callable[[VoiceRig], Awaitable[None]]
) -> None:
    """ "Add this song to the queue": the answer changes what comes next, not what plays, so
    the song the dialog paused comes back when the dialog ends."""
    rig = await new_rig(mode=FocusMode.PAUSE)
    await playing(rig)
    await rig.focus.acquire("speech")
    await rig.run(0.5)
    await command(rig)
    await rig.run(0.5)
    assert state(rig) is Activity.PAUSED and rig.engine.token == "tok-a"
    await rig.focus.release("speech")
    await rig.run(0.5)
    assert state(rig) is Activity.PLAYING, "the paused song did not come back"
    assert rig.engine.token == "tok-a"
