"""The earcon: the bundled sound, its setting, and VlcEarcons on the real libVLC (null output)
beside a playing VlcBackend (the mixer that plays them: ``test_mixer.py``)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from clova_client.config import ConfigError, load_settings
from clova_client.player.backends.vlc.earcon import VlcEarcons
from clova_client.player.earcon import (
    DEFAULT_SOUND,
    Earcon,
    render_default,
    sound_for,
)


def test_the_bundled_sound_is_what_the_generator_makes() -> None:
    assert DEFAULT_SOUND.read_bytes() == render_default()
    with wave.open(str(DEFAULT_SOUND)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert 0.05 < wav.getnframes() / wav.getframerate() < 0.2  # short
    assert len(DEFAULT_SOUND.read_bytes()) < 8192


def test_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(None).player.earcon == "default"
    assert sound_for("default") == DEFAULT_SOUND
    assert sound_for("off") is None
    own = tmp_path / "ding.wav"
    own.write_bytes(render_default())
    monkeypatch.setenv("CLOVA_PLAYER__EARCON", str(own))
    assert sound_for(load_settings(None).player.earcon) == own
    monkeypatch.setenv("CLOVA_PLAYER__EARCON", str(tmp_path / "missing.wav"))
    with pytest.raises(ConfigError, match=r"player\.earcon .*existing sound file"):
        load_settings(None)


@pytest.mark.vlc
async def test_vlc_earcons_play_to_their_end_and_the_next_cuts_the_last() -> None:
    earcons = VlcEarcons(DEFAULT_SOUND, "null")
    try:
        await earcons.play_earcon(Earcon.VOLUME, 50)
        await earcons.wait_idle()
        assert (earcons.played, earcons.failed) == (1, 0)
        for _ in range(3):  # quick volume presses
            await earcons.play_earcon(Earcon.VOLUME, 60)
        await earcons.wait_idle()
        assert (earcons.played, earcons.failed) == (4, 0)
    finally:
        await earcons.close()
    await earcons.play_earcon(Earcon.MUTE, 50)  # after close: nothing, no error
    assert earcons.played == 4


@pytest.mark.vlc
async def test_vlc_earcon_that_cannot_play_is_logged_not_raised(tmp_path: Path) -> None:
    earcons = VlcEarcons(tmp_path / "removed-since.wav", "null", max_s=5.0)
    try:
        await earcons.play_earcon(Earcon.MUTE, 50)
        await earcons.wait_idle()
        assert (earcons.played, earcons.failed) == (0, 1)
        (tmp_path / "removed-since.wav").write_bytes(render_default())  # back: plays again
        await earcons.play_earcon(Earcon.MUTE, 50)
        await earcons.wait_idle()
        assert (earcons.played, earcons.failed) == (1, 1)
    finally:
        await earcons.close()
