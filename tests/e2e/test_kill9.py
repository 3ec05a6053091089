"""``kill -9`` in the middle of a track while CIC is unreachable, then a restart.

Nothing the player raised before the kill is lost (the outbox is durable), the queue comes back
PAUSED without playing by itself, and a Resume continues where the position was last saved (at most
SAVE_EVERY_S, 10 s, before the kill).
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from clova_client.daemon.runtime import SAVE_EVERY_S
from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, controller, play, playback_state, settle, wait_event

pytestmark = pytest.mark.e2e

INTERVAL_MS = 1000


async def _kill_between_reports(daemon: DaemonProcess, *, at_least_ms: int) -> int:
    """SIGKILL once the position is past ``at_least_ms`` and well between two progress reports
    (so no report is in the middle of being stored); the position just before the kill."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = await daemon.status()
        current = status["player"]["current"] or {}
        position = current.get("position_ms")
        pending = status["outbox"]["pending"]
        if (
            status["player"]["state"] == "PLAYING"
            and isinstance(position, int)
            and position >= at_least_ms
            and 120 <= position % INTERVAL_MS <= 880
            and pending >= 2
        ):
            assert await daemon.kill9() == -signal.SIGKILL
            return position
        await asyncio.sleep(0.05)
    raise AssertionError(f"never got to a point to kill at; last status {status}")


async def test_kill9_mid_playback_loses_no_event_and_restores_paused(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media
) -> None:
    await daemon.start()
    media = mock.media_url()
    stream_a = {
        "token": "tok-k",
        "url": f"{media}/{e2e_media.name(10000)}",
        "urlPlayable": True,
        "progressReport": {"progressReportIntervalInMilliseconds": INTERVAL_MS},
    }
    stream_b = {"token": "tok-next", "url": f"{media}/{e2e_media.name(2000)}", "urlPlayable": True}
    await mock.push(DEVICE, play("item-k", stream_a, title="Killed"))
    await mock.push(DEVICE, play("item-next", stream_b, behavior="ENQUEUE", title="Next"))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    # the client has its answer (else the cut below would make it send PlayStarted again)
    for _ in range(50):
        if (await daemon.status())["outbox"]["pending"] == 0:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("PlayStarted never left the outbox")

    # CIC goes away: the progress reports that follow can only wait in the outbox
    mock.refuse_connections(600)
    killed_at = await _kill_between_reports(daemon, at_least_ms=2000)
    raised = [
        (r["event_name"], r["message_id"], r["offset_ms"])
        for r in daemon.logged("event")
        if r["event_name"].startswith("AudioPlayer.")
    ]
    assert raised[0][0] == "AudioPlayer.PlayStarted"
    intervals = [offset for name, _, offset in raised[1:]]
    assert [name for name, _, _ in raised[1:]] == [
        "AudioPlayer.ProgressReportIntervalPassed"
    ] * len(intervals), raised
    assert len(intervals) == killed_at // INTERVAL_MS  # every report up to the kill was raised
    delivered_before = {e.message_id for e in mock.events(DEVICE)}
    assert len(delivered_before) < len(raised), "nothing was pending at the kill"

    # CIC is back; the daemon starts again
    await mock.restart()
    await daemon.start()
    ids = [message_id for _, message_id, _ in raised]
    for _ in range(100):  # the old outbox drains right after the new connection
        if set(ids) <= {e.message_id for e in mock.events(DEVICE)}:
            break
        await asyncio.sleep(0.1)
    recorded = [e.message_id for e in mock.events(DEVICE)]
    assert [i for i in recorded if i in ids] == ids  # every one, once, in order

    # PAUSED at the killed position, queue intact, and silent until told to resume
    status = await daemon.status()
    player = status["player"]
    assert player["state"] == "PAUSED"
    assert player["current"]["token"] == "tok-k"
    assert player["current"]["title"] == "Killed"
    saved_at_most_behind = SAVE_EVERY_S * 1000 + 1000  # the documented bound, and a tick
    assert 0 <= killed_at - player["current"]["position_ms"] <= saved_at_most_behind
    assert player["queue"] == [{"token": "tok-next", "title": "Next", "artist": None}]
    assert status["connection"]["state"] == "CONNECTED"
    await settle(mock)
    assert [e.message_id for e in mock.events(DEVICE)] == recorded  # nothing new by itself
    assert daemon.logged("player_restored", state="PAUSED", token="tok-k")

    await mock.push(DEVICE, controller("Resume"))
    resumed = playback_state(await wait_event(mock, "AudioPlayer.PlayResumed"))
    assert resumed["playerActivity"] == "PLAYING"
    assert resumed["stream"] == stream_a
    resumed_at = resumed["offsetInMilliseconds"]
    assert resumed_at == pytest.approx(player["current"]["position_ms"], abs=500), resumed
    assert 0 <= killed_at - resumed_at <= saved_at_most_behind, (resumed, killed_at)
    assert not mock.events(DEVICE, "AudioPlayer.PlayStarted")[1:]  # a resume, not a new start

    # the rest of the queue still follows
    await mock.push(DEVICE, controller("Next"))
    next_started = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted", index=1))
    assert next_started["stream"] == stream_b
    left = playback_state(await wait_event(mock, "AudioPlayer.PlayStopped"))
    assert left["stream"]["token"] == "tok-k"
    assert await daemon.terminate() == 0


async def test_graceful_stop_while_cic_is_down_delivers_play_stopped_after_restart(
    mock: MockCicServer, daemon: DaemonProcess, e2e_media: Media
) -> None:
    await daemon.start()
    stream = {"token": "tok-g", "url": f"{mock.media_url()}/{e2e_media.name(4000)}"}
    await mock.push(DEVICE, play("item-g", stream))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    mock.refuse_connections(600)

    assert await daemon.terminate() == 0  # gives up on CIC after a while, never hangs
    left = daemon.logged("events_left_for_next_start")
    assert len(left) == 1 and left[0]["pending"] >= 1
    stopped_raised = daemon.logged("event", event_name="AudioPlayer.PlayStopped")
    assert len(stopped_raised) == 1
    assert not mock.events(DEVICE, "AudioPlayer.PlayStopped")

    await mock.restart()
    await daemon.start()
    stopped = await wait_event(mock, "AudioPlayer.PlayStopped")
    assert stopped.message_id == stopped_raised[0]["message_id"]
    state = playback_state(stopped)
    assert state["playerActivity"] == "STOPPED"
    assert state["stream"] == stream
    assert state["offsetInMilliseconds"] == stopped_raised[0]["offset_ms"]

    # restored as CIC last heard it: STOPPED at that offset; Resume starts it there again
    status = await daemon.status()
    assert status["player"]["state"] == "STOPPED"
    assert daemon.logged("player_restored", state="STOPPED", token="tok-g")
    await mock.push(DEVICE, controller("Resume"))
    again = playback_state(await wait_event(mock, "AudioPlayer.PlayStarted", index=1))
    assert again["stream"] == stream
    assert abs(again["offsetInMilliseconds"] - state["offsetInMilliseconds"]) <= 1000
    assert not mock.events(DEVICE, "AudioPlayer.PlayResumed")
    assert await daemon.terminate() == 0
