"""The log of a whole run (debug level) holds no access or refresh token, old or refreshed, and
no query string of a signed media URL."""

from __future__ import annotations

import json

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import (
    ACCESS_TOKEN,
    DEVICE,
    REFRESH_TOKEN,
    controller,
    play,
    playback_state,
    wait_event,
)

pytestmark = pytest.mark.e2e

SIGNATURE = "SECRETsig0123456789"


async def test_whole_run_log_has_no_token_and_no_signed_query(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media
) -> None:
    daemon.overrides["CLOVA_LOG__LEVEL"] = "debug"
    daemon.overrides["CLOVA_CIC__PING_INTERVAL_S"] = "0.5"
    await daemon.start()

    name = e2e_media.name(2000)
    signed = f"{mock.media_url()}/{name}?sig={SIGNATURE}&expires=1999999999"
    direct = f"{mock.media_url()}/{e2e_media.name(3000)}?token={SIGNATURE}"
    mock.responders.stream_deliver["item-s"] = {"url": signed, "urlPlayable": True}
    await mock.push(
        DEVICE,
        play("item-s", {"token": "tok-s", "url": "clova:tok-s", "urlPlayable": False}),
    )
    started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted"))
    assert started["stream"]["url"] == signed  # CIC itself gets the URL as given

    # the access token expires; the downchannel drops: the client must refresh to go on
    mock.expire_token(DEVICE)
    mock.drop_downchannel(DEVICE)
    await daemon.wait_connected(opened_count=2)
    await mock.push(DEVICE, controller("Pause"))
    await wait_event(mock, "AudioPlayer.PlayPaused")
    assert mock.device(DEVICE).token_refreshes >= 1
    saved = json.loads(daemon.token_file.read_text(encoding="utf-8"))
    new_tokens = (saved["access_token"], saved["refresh_token"])
    assert ACCESS_TOKEN not in new_tokens and REFRESH_TOKEN not in new_tokens

    await mock.push(DEVICE, controller("Resume"))
    await wait_event(mock, "AudioPlayer.PlayResumed")
    missing = f"{mock.media_url()}/gone.wav?sig={SIGNATURE}"  # libVLC fails on this one
    await mock.push(
        DEVICE,
        play("item-404", {"token": "tok-404", "url": missing}, behavior="ENQUEUE"),
        play("item-t", {"token": "tok-t", "url": direct}, behavior="ENQUEUE"),
    )
    await wait_event(mock, "AudioPlayer.PlayFinished")
    await wait_event(mock, "AudioPlayer.PlayStarted", index=1)
    assert await daemon.terminate() == 0

    text = daemon.log_text()
    records = daemon.log_records()
    assert [r for r in records if "raw" in r] == []  # nothing but our JSON lines (no libVLC noise)
    for secret in (ACCESS_TOKEN, REFRESH_TOKEN, *new_tokens, SIGNATURE):
        assert secret not in text, f"a secret reached the log: {secret[:12]}..."
    assert "sig=" not in text
    assert "expires=" not in text
    # the URLs themselves were logged, without their query strings
    assert f"/media/{name}?…" in text
    assert f"/media/{e2e_media.name(3000)}?…" in text
    assert daemon.logged("player.item_abandoned", url=f"{mock.media_url()}/gone.wav?…")
    assert daemon.logged("cic.token_refreshed")
    assert [r for r in records if r.get("level") == "debug"]
