"""Bad input through the real daemon: each is one clear log line, the daemon keeps running and
what comes next plays. Also the dialogRequestId rule: a directive of an old dialog is dropped."""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import (
    DEVICE,
    audio_events,
    directive,
    play,
    playback_state,
    push_raw_part,
    settle,
    token_of,
    wait_count,
    wait_event,
)

pytestmark = pytest.mark.e2e


async def test_malformed_unknown_invalid_and_404_are_survived(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    media = mock.media_url()

    # 1. a part whose JSON does not parse
    push_raw_part(mock, b'{"directive": {"header": {"namespace": "AudioPlayer", "name": "Pl')
    bad_json = await running.wait_logged("directive_invalid", message_id=None)
    assert bad_json["level"] == "warning"
    assert any("malformed JSON" in e for e in bad_json["errors"])

    # 2. a directive nobody handles
    unknown = directive("Foo", "Bar", {"x": 1})
    await mock.push(DEVICE, unknown)
    ignored = await running.wait_logged(
        "directive_ignored", message_id=unknown["directive"]["header"]["messageId"]
    )
    assert ignored["directive"] == "Foo.Bar"
    assert ignored["reason"] == "no handler"

    # 3. a Play without playBehavior
    broken = play("item-x", {"token": "tok-x", "url": f"{media}/{e2e_media.name(2000)}"})
    del broken["directive"]["payload"]["playBehavior"]
    await mock.push(DEVICE, broken)
    invalid = await running.wait_logged(
        "directive_invalid", message_id=broken["directive"]["header"]["messageId"]
    )
    assert invalid["directive"] == "AudioPlayer.Play"
    assert invalid["errors"] == ["directive.payload.playBehavior: field required"]

    # 4. a queue whose middle item is a 404
    stream_a = {"token": "tok-a", "url": f"{media}/{e2e_media.name(2000)}"}
    stream_missing = {"token": "tok-404", "url": f"{media}/no-such-file.wav"}
    stream_c = {"token": "tok-c", "url": f"{media}/{e2e_media.name(2000)}"}
    await mock.push(
        DEVICE,
        play("item-a", stream_a),
        play("item-404", stream_missing, behavior="ENQUEUE"),
        play("item-c", stream_c, behavior="ENQUEUE"),
    )
    finished = await wait_count(mock, "AudioPlayer.PlayFinished", 2, timeout=20)
    await settle(mock)

    summary = [(e.name.removeprefix("AudioPlayer."), token_of(e)) for e in audio_events(mock)]
    assert summary == [
        ("PlayStarted", "tok-a"),
        ("PlayFinished", "tok-a"),
        ("PlayStarted", "tok-c"),
        ("PlayFinished", "tok-c"),
    ]
    assert [playback_state(e)["offsetInMilliseconds"] for e in finished] == [2000, 2000]
    abandoned = running.logged("player.item_abandoned", audio_item_id="item-404")
    assert len(abandoned) == 1, running.log_text()[-3000:]
    assert abandoned[0]["level"] == "warning"
    assert abandoned[0]["token"] == "tok-404"
    assert abandoned[0]["url"] == f"{media}/no-such-file.wav"
    assert abandoned[0]["reason"]
    assert "item-x" not in {r.get("audio_item_id") for r in running.logged("player.play")}

    status = await running.status()
    assert status["player"]["state"] == "STOPPED"
    assert status["connection"]["state"] == "CONNECTED"
    assert {e["message"].split()[0] for e in status["errors"]} >= {
        "directive_invalid",
        "player.item_abandoned",
    }
    assert not running.logged("directive_handler_failed")
    assert running.returncode is None


async def test_directive_of_a_superseded_dialog_is_dropped(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media
) -> None:
    media = mock.media_url()
    mock.responders.stream_deliver["item-1"] = {"url": f"{media}/{e2e_media.name(4000)}"}
    await mock.push(
        DEVICE, play("item-1", {"token": "tok-1", "url": "clova:tok-1", "urlPlayable": False})
    )
    await wait_event(mock, "AudioPlayer.StreamRequested")
    await wait_event(mock, "AudioPlayer.PlayStarted")

    assert (await running.cli("dialog", "dialog-from-long-ago")).returncode == 0
    assert (await running.cli("dialog", "dialog-now")).returncode == 0
    stale = play(
        "item-2",
        {"token": "tok-2", "url": f"{media}/{e2e_media.name(2000)}"},
        dialog="dialog-from-long-ago",
    )
    await mock.push(DEVICE, stale)
    dropped = await running.wait_logged(
        "directive_dropped", message_id=stale["directive"]["header"]["messageId"]
    )
    assert dropped["directive"] == "AudioPlayer.Play"
    assert dropped["dialog_request_id"] == "dialog-from-long-ago"
    assert dropped["current_dialog_request_id"] == "dialog-now"
    assert "superseded" in dropped["reason"]

    # the directive of the current dialog is taken
    fresh: dict[str, Any] = play(
        "item-3",
        {"token": "tok-3", "url": f"{media}/{e2e_media.name(2000)}"},
        dialog="dialog-now",
    )
    await mock.push(DEVICE, fresh)
    started = await wait_event(mock, "AudioPlayer.PlayStarted", index=1)
    assert token_of(started) == "tok-3"
    summary = [(e.name.removeprefix("AudioPlayer."), token_of(e)) for e in audio_events(mock)]
    assert summary == [
        ("StreamRequested", "tok-1"),
        ("PlayStarted", "tok-1"),
        ("PlayStopped", "tok-1"),
        ("PlayStarted", "tok-3"),
    ]
