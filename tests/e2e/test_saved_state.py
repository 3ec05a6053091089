"""A saved player state the daemon cannot use (another version, a hand edit) must not keep the
speaker from starting: it is logged, set aside, and the daemon starts empty."""

from __future__ import annotations

import json

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, play, wait_event

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "saved",
    [
        {"state": "PLAYING", "current": {"play": {"audioItem": {"no": "stream"}}}},
        {"state": "DANCING", "current": None, "queue": []},
        ["not", "an", "object"],
    ],
    ids=["invalid-play", "unknown-state", "not-an-object"],
)
async def test_unusable_saved_state_starts_empty(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media, saved: object
) -> None:
    daemon.state_dir.mkdir(mode=0o700)
    (daemon.state_dir / "player.json").write_text(json.dumps(saved), encoding="utf-8")
    await daemon.start()

    unusable = await daemon.wait_logged(
        "state_unusable" if isinstance(saved, dict) else "state_unreadable"
    )
    assert unusable["level"] == "warning"
    assert "\n" not in unusable["reason"]
    set_aside = daemon.state_dir / "player.json.bad"
    assert unusable["moved_to"] == str(set_aside)
    assert json.loads(set_aside.read_text(encoding="utf-8")) == saved
    status = await daemon.status()
    assert status["player"]["state"] == "IDLE"
    assert status["player"]["queue"] == []
    # it still plays
    url = f"{mock.media_url()}/{e2e_media.name(2000)}"
    await mock.push(DEVICE, play("item-1", {"token": "tok-1", "url": url}))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    assert daemon.returncode is None
    assert not daemon.logged("cannot_start")
