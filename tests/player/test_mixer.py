"""The Mixer: the one owner of volume and mute, applied to the output for every source, and the
earcons that confirm a change at its volume, beside the player (no state change, no event)."""

from __future__ import annotations

from clova_client.agents.audioplayer_state import playback_state
from clova_client.clock import ManualClock
from clova_client.player.backend import MediaSource
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.earcon import Earcon
from clova_client.player.engine import PlayerEngine
from clova_client.player.mixer import Mixer
from clova_client.player.shared import SharedBackend
from clova_client.player.status import Activity
from tests.player.conftest import HarnessFactory
from tests.player.helpers import play, url_of

A = url_of("a")
MEDIA = {A: FakeMedia(10_000)}


async def test_volume_and_mute_pass_through(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    await h.engine.mixer.set_volume(35)
    await h.engine.mixer.set_volume(150)
    await h.engine.mixer.set_mute(True)
    await h.engine.mixer.set_mute(False)
    assert h.backend.calls == [
        ("set_volume", 35),
        ("set_volume", 100),
        ("set_mute", True),
        ("set_mute", False),
    ]
    assert h.backend.volume == 100 and not h.backend.muted
    assert h.names() == []


async def test_an_earcon_sounds_beside_the_player_and_changes_nothing(
    new_harness: HarnessFactory,
) -> None:
    h = await new_harness(MEDIA)
    await h.audio.play(play("a"))
    await h.run(1.0)
    changes: list[Activity] = []
    h.engine.on_change = lambda: changes.append(h.engine.state)
    before, calls, sent = (
        playback_state(h.engine.status()).payload(),
        list(h.backend.calls),
        h.names(),
    )
    await h.engine.mixer.set_volume(40)
    await h.engine.mixer.earcon(Earcon.VOLUME)
    await h.engine.mixer.set_mute(True)
    await h.engine.mixer.earcon(Earcon.MUTE)
    await h.settle()
    assert h.backend.earcons == [(Earcon.VOLUME, 40), (Earcon.MUTE, 40)]
    assert h.backend.calls == [*calls, ("set_volume", 40), ("set_mute", True)]
    assert h.names() == sent and changes == []
    after = playback_state(h.engine.status()).payload()
    assert after["playerActivity"] == before["playerActivity"] == "PLAYING"
    assert after["stream"] == before["stream"]
    assert h.engine.snapshot()["muted"] is True and h.engine.volume == 40


async def test_both_sources_play_through_one_mixer_and_its_earcons() -> None:
    fake = FakeBackend()
    mixer = Mixer(fake, fake)
    shared = SharedBackend(fake, on_closed=mixer.close)
    audio = PlayerEngine(shared.port("AudioPlayer"), ManualClock(), mixer=mixer)
    music = PlayerEngine(shared.port("MediaPlayer"), ManualClock(), mixer=mixer)
    await mixer.set_volume(30)  # one output, one volume: whichever side plays
    await mixer.earcon(Earcon.MUTE)
    await mixer.set_volume(40)
    await mixer.earcon(Earcon.VOLUME)
    assert fake.earcons == [(Earcon.MUTE, 30), (Earcon.VOLUME, 40)]
    assert (audio.volume, music.volume) == (40, 40)
    assert fake.calls == [("set_volume", 30), ("set_volume", 40)]
    silent = Mixer(FakeBackend())  # [player] earcon = "off"
    await silent.earcon(Earcon.MUTE)
    await audio.close()
    await music.close()
    assert fake.calls.count(("close", None)) == 1  # the earcons are the backend: closed once


async def test_a_port_has_no_volume_of_its_own() -> None:
    shared = SharedBackend(FakeBackend())
    port = shared.port("AudioPlayer")
    await port.play(MediaSource(1, "a.mp3"))
    assert not hasattr(port, "set_volume") and not hasattr(port, "play_earcon")
