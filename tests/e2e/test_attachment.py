"""A Play whose URL is ``cid:...`` plays the audio that came with it on the downchannel."""

from __future__ import annotations

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, play, playback_state, wait_event


async def test_a_cid_url_plays_the_attached_audio(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    audio = (e2e_media.directory / e2e_media.name(2000)).read_bytes()
    stream = {"token": "tok-cid", "url": "cid:chime-1", "urlPlayable": True}
    await mock.push(DEVICE, play("item-cid", stream), attachments={"chime-1": audio})

    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted"))
    assert started["stream"] == stream  # reported exactly as received
    finished = playback_state(await wait_event(mock, "AudioPlayer.PlayFinished"))
    assert finished["stream"]["token"] == "tok-cid"
    assert finished["offsetInMilliseconds"] == 2000  # the whole attachment played
    assert not mock.events(DEVICE, "AudioPlayer.PlayStopped")
