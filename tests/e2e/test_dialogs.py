"""dialogRequestId as the cloud uses it, end to end: directives stamped with ids the cloud
minted are handled (a NUGU Play, a StreamDeliver, ClearQueue, PlaybackController.Pause); one of
a dialog the voice component has since superseded is dropped, with a log line."""

from __future__ import annotations

import uuid

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, directive, play, playback_state, settle, wait_event

pytestmark = pytest.mark.e2e


def cloud_id() -> str:
    return str(uuid.uuid4())


async def test_cloud_minted_ids_are_handled_and_a_superseded_dialog_is_dropped(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    media = mock.media_url()
    # NUGU MediaPlayer.Play (every NUGU directive carries a cloud id): answered, id echoed
    nugu = cloud_id()
    search = {"playServiceId": "nugu.builtin.music", "token": "tok-nugu", "song": {"title": "x"}}
    await mock.push(DEVICE, directive("MediaPlayer", "Play", search, dialog=nugu))
    answer = await wait_event(mock, "MediaPlayer.PlayFailed")
    assert answer.message["event"]["header"]["dialogRequestId"] == nugu

    # an unplayable URL: the daemon asks for the stream with an id of its own...
    hidden = {"token": "tok-s", "url": "clova:tok-s", "urlPlayable": False}
    await mock.push(DEVICE, play("item-s", hidden))
    request = await wait_event(mock, "AudioPlayer.StreamRequested")
    own = request.message["event"]["header"]["dialogRequestId"]
    # ...and the cloud answers with one it minted: handled all the same
    stream = {"token": "tok-s", "url": f"{media}/{e2e_media.name(10000)}", "urlPlayable": True}
    payload = {"audioItemId": "item-s", "audioStream": stream}
    other = cloud_id()
    assert other != own
    await mock.push(DEVICE, directive("AudioPlayer", "StreamDeliver", payload, dialog=other))
    assert playback_state(await wait_event(mock, "AudioPlayer.PlayStarted"))["stream"] == stream

    await mock.push(DEVICE, directive("PlaybackController", "Pause", dialog=cloud_id()))
    await wait_event(mock, "AudioPlayer.PlayPaused")
    clear = {"clearBehavior": "CLEAR_ENQUEUED"}
    await mock.push(DEVICE, directive("AudioPlayer", "ClearQueue", clear, dialog=cloud_id()))
    await wait_event(mock, "AudioPlayer.PlaybackQueueCleared")

    # barge-in: the voice component starts dialog 2 while dialog 1's answer is still coming
    assert (await running.cli("dialog", "voice-1")).returncode == 0
    said = await running.cli("dialog", "voice-2")
    assert said.stdout == "dialog voice-2 is current; late directives of voice-1 will be dropped\n"
    late = directive("PlaybackController", "Resume", dialog="voice-1")
    await mock.push(DEVICE, late)
    dropped = await running.wait_logged("directive_dropped")
    assert dropped["message_id"] == late["directive"]["header"]["messageId"]
    assert dropped["dialog_request_id"] == "voice-1"
    assert dropped["current_dialog_request_id"] == "voice-2"
    await settle(mock)
    assert not mock.events(DEVICE, "AudioPlayer.PlayResumed")
    await mock.push(DEVICE, directive("PlaybackController", "Resume", dialog="voice-2"))
    await wait_event(mock, "AudioPlayer.PlayResumed")
