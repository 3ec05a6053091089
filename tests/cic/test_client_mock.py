"""CicClient against the real mock CIC server over loopback."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clova_client.cic.state import ConnectionState as S
from clova_client.clock import ManualClock
from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.messages import directive
from clova_client.protocol import Directive

from .helpers import (
    DEVICE,
    REFRESH,
    TOKEN,
    UA,
    HarnessFactory,
    HighRandom,
    audio_event,
    settle,
    until,
    write_token_file,
)


def play(token: str) -> dict[str, object]:
    return directive(
        "AudioPlayer",
        "Play",
        {
            "audioItem": {
                "audioItemId": f"item-{token}",
                "stream": {"token": token, "url": "http://x/a.mp3", "beginAtInMilliseconds": 0},
            },
            "playBehavior": "REPLACE_ALL",
        },
    )


async def test_hello_marks_connected_with_user_agent(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    assert h.states[:2] == [(S.DISCONNECTED, S.CONNECTING), (S.CONNECTING, S.CONNECTED)]
    assert mock.device(DEVICE).user_agent == str(UA)


async def test_downchannel_directives_reach_router_in_order(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    await mock.push(DEVICE, *(play(f"t{i}") for i in range(5)))
    await until(lambda: len(h.seen) == 5)
    assert [d.payload.audio_item.stream.token for d in h.seen] == [f"t{i}" for i in range(5)]


async def test_event_204_then_200_with_directives(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    first = audio_event("PlayStarted", {"token": "t1", "offsetInMilliseconds": 0})
    await h.client.delivery.store(first)
    got = await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted")
    assert got.message_id == first.message_id
    mock.reply_next(DEVICE, play("from-reply"), directive("AudioPlayer", "Stop", {}))
    second = audio_event("PlayFinished", {"token": "t1", "offsetInMilliseconds": 9})
    await h.client.delivery.store(second)
    await until(lambda: len(h.seen) == 2)
    assert [d.full_name for d in h.seen] == ["AudioPlayer.Play", "AudioPlayer.Stop"]
    await until(lambda: h.outbox.count() == 0)


async def test_reconnects_after_downchannel_drop_and_restart(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    mock.drop_downchannel(DEVICE)
    await mock.wait_downchannel(DEVICE, opened_count=2)
    mock.drop_downchannel(DEVICE, abort=True)
    await mock.wait_downchannel(DEVICE, opened_count=3)
    await mock.restart()
    await mock.wait_downchannel(DEVICE, opened_count=4)
    await h.connected()
    await mock.push(DEVICE, play("after-restart"))
    await until(lambda: len(h.seen) == 1)
    lost = [new for old, new in h.states if old is S.CONNECTED]
    assert lost == [S.BACKING_OFF] * 3


async def test_401_refreshes_token_and_stores_it_private(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    h = make_harness(mock)
    await h.connected()
    mock.expire_token(DEVICE)
    event = audio_event("PlayPaused", {"token": "t1", "offsetInMilliseconds": 5})
    await h.client.delivery.store(event)
    got = await mock.wait_event(DEVICE, "AudioPlayer.PlayPaused")
    assert got.message_id == event.message_id
    assert mock.device(DEVICE).token_refreshes == 1
    saved = json.loads(h.token_file.read_text())
    assert saved["access_token"] != TOKEN and saved["access_token"] == h.store.access_token
    assert saved["refresh_token"] and saved["expires_at"] > 0
    assert stat.S_IMODE(os.stat(h.token_file).st_mode) == 0o600
    assert not [p for p in h.token_file.parent.iterdir() if p.name.endswith(".tmp")]
    secrets = (TOKEN, REFRESH, saved["access_token"], saved["refresh_token"])
    text = repr(log_events)
    assert not [s for s in secrets if s in text], "a token reached a log line"


async def test_401_on_downchannel_at_start_refreshes(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    mock.expire_token(DEVICE)
    h = make_harness(mock)
    await h.connected()
    assert mock.device(DEVICE).token_refreshes == 1
    assert S.BACKING_OFF not in [new for _, new in h.states]


async def test_unrefreshable_401_is_auth_failed(
    mock: MockCicServer, make_harness: HarnessFactory, tmp_path: object
) -> None:
    mock.expire_token(DEVICE)
    clock = ManualClock()
    h = make_harness(mock, clock=clock, auth_url=None)
    await until(lambda: h.client.state is S.AUTH_FAILED)
    assert h.states == [(S.DISCONNECTED, S.CONNECTING), (S.CONNECTING, S.AUTH_FAILED)]


async def test_429_backs_off_at_least_retry_after(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    clock = ManualClock()
    mock.fail_next(1, 429, path_prefix="/v1/directives", retry_after=5)
    h = make_harness(mock, clock=clock, rng=HighRandom(), ping_interval_s=1000)
    await until(lambda: h.client.state is S.BACKING_OFF and clock.pending == 1)
    clock.advance(4.9)
    await settle()  # give the client every chance to (wrongly) reconnect early
    assert [new for _, new in h.states] == [S.CONNECTING, S.BACKING_OFF]
    clock.advance(0.1)
    await h.connected()
    assert [new for _, new in h.states] == [S.CONNECTING, S.BACKING_OFF, S.CONNECTING, S.CONNECTED]


async def test_backoff_resets_only_after_a_stable_connection(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock, rng=HighRandom(), ping_interval_s=1000)
    delays: list[float] = []

    def scheduled() -> list[dict[str, object]]:
        return [e for e in log_events if e["event"] == "cic.reconnect_scheduled"]

    async def lose_and_reconnect(opened: int) -> None:
        before = len(scheduled())
        mock.drop_downchannel(DEVICE, abort=True)  # a failure (a clean close reopens at once)
        await until(lambda: len(scheduled()) > before)  # its sleep is registered in that step
        delay = float(scheduled()[-1]["delay_s"])  # type: ignore[arg-type]
        delays.append(delay)
        clock.advance(delay)
        await mock.wait_downchannel(DEVICE, opened_count=opened)
        await h.connected()

    await h.connected()
    await lose_and_reconnect(2)  # up 0 s: attempt 0
    await lose_and_reconnect(3)  # up 0 s again: attempt 1
    clock.advance(30)  # stable_after_s
    await lose_and_reconnect(4)  # reset: attempt 0 again
    assert delays == [0.25, 0.5, 0.25]


async def test_ping_timeout_reconnects(mock: MockCicServer, make_harness: HarnessFactory) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock, ping_interval_s=60, ping_timeout_s=10)
    await h.connected()
    mock.ignore_pings(True)
    clock.advance(60)
    await until(lambda: mock.device(DEVICE).requests.get("ping") == 1)
    assert h.client.state is S.CONNECTED
    clock.advance(9.9)
    await settle()
    assert h.client.state is S.CONNECTED
    clock.advance(0.1)
    await until(lambda: h.client.state is S.BACKING_OFF)
    mock.ignore_pings(False)
    clock.advance(1)
    await mock.wait_downchannel(DEVICE, opened_count=2)
    await h.connected()


async def test_events_raised_offline_arrive_in_order(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    mock.refuse_connections(0.5)
    await until(lambda: h.client.state is not S.CONNECTED)
    sent = []
    for i in range(8):
        name = "ProgressReportIntervalPassed" if i % 2 else "PlayStarted"
        event = audio_event(name, {"token": f"t{i}", "offsetInMilliseconds": i})
        await h.client.delivery.store(event)
        sent.append(event.message_id)
    await until(lambda: len(mock.events(DEVICE)) >= 8)
    assert [e.message_id for e in mock.events(DEVICE)] == sent
    assert await h.client.delivery.flush(5) == 0


async def test_rejected_event_is_dropped_and_queue_moves_on(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    h = make_harness(mock)
    await h.connected()
    mock.fail_next(1, 400, path_prefix="/v1/events")
    bad = audio_event("PlayStarted", {"token": "bad", "offsetInMilliseconds": 0})
    good = audio_event("PlayStopped", {"token": "ok", "offsetInMilliseconds": 0})
    await h.client.delivery.store(bad)
    await h.client.delivery.store(good)
    got = await mock.wait_event(DEVICE, "AudioPlayer.PlayStopped")
    assert got.message_id == good.message_id
    assert mock.events(DEVICE, "AudioPlayer.PlayStarted") == []
    dropped = [e for e in log_events if e["event"] == "event_dropped"]
    assert dropped[0]["message_id"] == bad.message_id and "400" in str(dropped[0]["reason"])
    assert "injected fault" in str(dropped[0]["reason"])


async def test_5xx_event_is_retried(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    h = make_harness(mock)
    await h.connected()
    mock.fail_next(2, 503, path_prefix="/v1/events")
    first = audio_event("PlayStarted", {"token": "a", "offsetInMilliseconds": 0})
    await h.client.delivery.store(first)
    got = await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted")
    assert got.message_id == first.message_id
    assert h.client.state is S.CONNECTED
    retries = [(e["message_id"], e["reason"]) for e in log_events if e["event"] == "event_retry"]
    assert [(m, str(r).split()[0]) for m, r in retries] == [
        (first.message_id, "HTTP"),
        (first.message_id, "HTTP"),
    ]


async def test_stalled_event_is_retried_after_the_event_timeout(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    h = make_harness(mock, event_timeout_s=0.3)
    await h.connected()
    mock.stall_next_event(5)
    stalled = audio_event("PlayStopped", {"token": "a", "offsetInMilliseconds": 1})
    await h.client.delivery.store(stalled)
    await until(lambda: any(e["event"] == "event_retry" for e in log_events), within=3)
    (retry,) = [e for e in log_events if e["event"] == "event_retry"]
    assert retry["message_id"] == stalled.message_id
    assert retry["reason"] == "no answer within 0.3 s"  # timed by the client, not httpx
    got = await mock.wait_event(DEVICE, "AudioPlayer.PlayStopped")
    assert got.message_id == stalled.message_id
    assert h.client.state is S.CONNECTED


async def test_system_exception_directive_is_logged(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    h = make_harness(mock)
    await h.connected()
    await mock.push(DEVICE, directive("System", "Exception", {"code": "500", "description": "x"}))
    await until(lambda: any(e["event"] == "cic.system_exception" for e in log_events))
    line = next(e for e in log_events if e["event"] == "cic.system_exception")
    assert (line["code"], line["description"]) == ("500", "x")


async def test_auth_failed_recovers_when_the_token_file_is_replaced(
    mock: MockCicServer, make_harness: HarnessFactory, tmp_path: Path
) -> None:
    path = tmp_path / "token-plain.json"
    path.write_text("revoked-access-token\n")  # plain text: nothing to refresh with
    path.chmod(0o600)
    clock = ManualClock()
    h = make_harness(mock, clock=clock, rng=HighRandom(), name="plain")
    await until(lambda: h.client.state is S.AUTH_FAILED)
    write_token_file(path)  # someone provisions a working token
    clock.advance(0.25)  # the first retry delay
    await h.connected()
    assert [new for _, new in h.states] == [S.CONNECTING, S.AUTH_FAILED, S.CONNECTING, S.CONNECTED]


async def test_attachment_reaches_the_handler_with_its_directive(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    got: list[tuple[str, dict[str, bytes]]] = []

    async def speak(d: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        got.append((d.payload.model_dump()["url"], dict(attachments)))

    h.router.register("SpeechSynthesizer", "Speak", speak)
    await h.connected()
    audio = bytes(range(256)) * 4
    speak_directive = directive(
        "SpeechSynthesizer", "Speak", {"format": "AUDIO_MPEG", "url": "cid:c-1", "token": "s"}
    )
    await mock.push(DEVICE, speak_directive, attachments={"c-1": audio})
    await until(lambda: len(got) == 1)
    assert got == [("cid:c-1", {"c-1": audio})]


async def test_system_exception_401_refreshes_once(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    unauthorized = directive("System", "Exception", {"code": 401, "description": "expired"})
    await mock.push(DEVICE, unauthorized, unauthorized)
    await until(lambda: mock.device(DEVICE).token_refreshes == 1)
    await until(lambda: h.store.access_token != TOKEN)  # stored once the answer is read
    await h.client.delivery.store(audio_event("PlayStopped", {"token": "t"}))
    await mock.wait_event(DEVICE, "AudioPlayer.PlayStopped")  # the new token works
    assert mock.device(DEVICE).token_refreshes == 1  # the second exception was absorbed


async def test_a_downchannel_the_server_closes_is_reopened_at_once(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock)
    await h.connected()
    clock.advance(5)  # up a while: the server ends the stream normally
    mock.drop_downchannel(DEVICE)
    await mock.wait_downchannel(DEVICE, opened_count=2)  # the clock did not move: no delay
    await h.connected()
    lost = [new for old, new in h.states if old is S.CONNECTED]
    assert lost == [S.CONNECTING]


async def test_a_downchannel_closed_right_after_opening_backs_off(
    mock: MockCicServer, make_harness: HarnessFactory, log_events: list[dict[str, object]]
) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock)
    await h.connected()
    mock.drop_downchannel(DEVICE)  # closed at once: no spinning in a close/reopen loop
    await until(lambda: h.client.state is S.BACKING_OFF)
    (scheduled,) = [e for e in log_events if e["event"] == "cic.reconnect_scheduled"]
    assert mock.device(DEVICE).downchannel_opens == 1
    # what `clova-client status` shows: why, and when the next try comes
    assert h.client.last_failure == "downchannel closed by the server"
    delay = float(str(scheduled["delay_s"]))  # logged rounded to the millisecond
    first = h.client.retry_in()
    assert first is not None and abs(first - delay) < 0.001
    clock.advance(0.1)
    later = h.client.retry_in()
    assert later is not None and abs(later - (first - 0.1)) < 1e-9
