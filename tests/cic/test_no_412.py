"""No event is ever POSTed on a connection whose downchannel has ended or has not yet delivered
Clova.Hello, whichever path queued it: CIC answers 412 and counts it against the device. The
mock answers 412 exactly then, and records each one (``rejected_events``)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import MutableMapping
from typing import Any

import httpx

from clova_client.cic.sender import EventSender
from clova_client.clock import ManualClock
from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.downchannel import Downchannel
from clova_client.mock_cic.messages import directive
from clova_client.protocol import Directive, Event, context_item, make_event
from clova_client.protocol.template_runtime import Range, RequestPlayerInfoPayload

from .helpers import DEVICE, Harness, HarnessFactory, audio_event, settle, until

ROUNDS = 120
HELLO_DELAY_S = 0.02
STATE = {"playerActivity": "PLAYING", "offsetInMilliseconds": 0}


def player_info(token: str) -> Event:
    payload = RequestPlayerInfoPayload(token=token, range=Range(after=10))
    context = [context_item("AudioPlayer", "PlaybackState", STATE)]
    return make_event("TemplateRuntime", "RequestPlayerInfo", payload, context)


def media_event(token: str) -> Event:
    return make_event("MediaPlayer", "PlaySucceeded", {"playServiceId": "svc", "token": token})


class Paths:
    """Events from several paths, all through EventSender (the one entry), in one order: the
    AudioPlayer reporter, TemplateRuntime, MediaPlayer, and a directive handler (the answer's
    ExpectReportPlaybackState is answered with ReportPlaybackState)."""

    def __init__(self, h: Harness) -> None:
        self.sender = EventSender(h.client.delivery, h.outbox)
        self.task = asyncio.create_task(self.sender.run())
        self.sent: list[str] = []
        h.router.register("AudioPlayer", "ExpectReportPlaybackState", self._report)

    def submit(self, event: Event) -> None:
        self.sent.append(event.message_id)
        self.sender.submit(event)

    def burst(self, tag: str) -> None:
        self.submit(audio_event("ProgressReportIntervalPassed", {"token": tag}))
        self.submit(player_info(tag))
        self.submit(media_event(tag))

    async def _report(self, d: Directive[Any], attachments: Any) -> None:
        self.submit(audio_event("ReportPlaybackState", STATE))


async def all_in(mock: MockCicServer, paths: Paths, count: int) -> None:
    """Until CIC has every event submitted so far (``count`` of them)."""
    await until(lambda: len(mock.events(DEVICE)) == len(paths.sent) == count)


async def replaced(mock: MockCicServer, old: Downchannel) -> None:
    """Until the client has asked for a new downchannel (its Hello may still be held back)."""
    await until(lambda: mock.downchannels.get(DEVICE) not in (None, old))


def assert_all_once_in_order_and_no_412(mock: MockCicServer, paths: Paths) -> None:
    received = [e.message_id for e in mock.events(DEVICE)]
    assert collections.Counter(received).most_common(1)[0][1] == 1  # nothing twice
    assert received == paths.sent  # nothing lost, nothing overtaken
    assert mock.device(DEVICE).rejected_events == []  # not one 412 (nor 400)


async def test_answer_then_end_the_downchannel_over_many_rounds_gets_no_412(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    # Each round: three events queued at once; CIC answers the first (with a directive whose
    # handler sends one more) and ends the downchannel right after. The rest must wait for
    # the next connection's Hello: none may go out on the connection whose channel ended.
    h = make_harness(mock, reopen_at_once_after_s=0.0)  # a 412 would back off, then go on
    await h.connected()
    paths = Paths(h)
    for n in range(ROUNDS):
        expect = directive("AudioPlayer", "ExpectReportPlaybackState", {})
        mock.reply_next(DEVICE, expect, on="AudioPlayer.ProgressReportIntervalPassed")
        mock.answer_then_end_downchannel(DEVICE)
        paths.burst(f"t-{n}")
        await mock.wait_downchannel(DEVICE, opened_count=n + 2)
        await all_in(mock, paths, 4 * (n + 1))
        assert mock.device(DEVICE).rejected_events == [], f"round {n}"
    assert_all_once_in_order_and_no_412(mock, paths)
    paths.task.cancel()


async def test_hello_delayed_on_every_new_connection_gets_no_412(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    # Each round: the downchannel ends right after an answer, and the next one answers 200 at
    # once but holds Clova.Hello back; events queued meanwhile wait for it.
    h = make_harness(mock, reopen_at_once_after_s=0.0)  # a 412 would back off, then go on
    await h.connected()
    paths = Paths(h)
    for n in range(ROUNDS):
        old = mock.downchannels[DEVICE]
        mock.delay_hello(DEVICE, HELLO_DELAY_S)
        mock.answer_then_end_downchannel(DEVICE)
        paths.submit(media_event(f"m-{n}"))
        await replaced(mock, old)
        assert not mock.downchannels[DEVICE].up  # the new channel's Hello is still held back
        paths.burst(f"t-{n}")
        await mock.wait_downchannel(DEVICE, opened_count=n + 2)
        await all_in(mock, paths, 4 * (n + 1))
        assert mock.device(DEVICE).rejected_events == [], f"round {n}"
    assert_all_once_in_order_and_no_412(mock, paths)
    paths.task.cancel()


async def test_a_late_hello_from_an_older_downchannel_opens_nothing(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    # A second Clova.Hello on the first downchannel (a hostile peer) reaches the router only
    # after that channel ended (a slow handler held the dispatcher), while the next channel
    # still holds its own Hello back: the event queued meanwhile must wait for that one.
    h = make_harness(mock, clock=ManualClock(), reopen_at_once_after_s=0.0)
    await h.connected()
    busy, release = asyncio.Event(), asyncio.Event()

    async def slow(d: Directive[Any], attachments: Any) -> None:
        busy.set()
        await release.wait()

    h.router.register("Test", "Slow", slow)
    mock.deliver(DEVICE, [directive("Test", "Slow", {}), directive("Clova", "Hello", {})])
    await busy.wait()
    first = mock.downchannels[DEVICE]
    mock.delay_hello(DEVICE, 0.5)
    mock.drop_downchannel(DEVICE)
    await replaced(mock, first)
    event = media_event("late")
    await h.client.delivery.store(event)
    await settle()
    release.set()  # the old Hello reaches the router now
    await until(lambda: [e.message_id for e in mock.events(DEVICE)] == [event.message_id])
    assert mock.device(DEVICE).rejected_events == []


async def test_an_event_retry_after_the_downchannel_ended_waits_for_the_next_connection(
    mock: MockCicServer,
    make_harness: HarnessFactory,
    log_events: list[MutableMapping[str, Any]],
) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock, reopen_at_once_after_s=0.0)
    await h.connected()
    mock.fail_next(1, 503, path_prefix="/v1/events")
    event = media_event("retried")
    await h.client.delivery.store(event)
    await until(lambda: any(e["event"] == "event_retry" for e in log_events))
    mock.drop_downchannel(DEVICE)  # while the retry waits out its backoff delay
    await settle()
    clock.advance(0.25)  # the retry is due (first delay <= 0.25 s) within event_drain_s
    await mock.wait_downchannel(DEVICE, opened_count=2)
    await until(lambda: [e.message_id for e in mock.events(DEVICE)] == [event.message_id])
    assert mock.device(DEVICE).rejected_events == []
    held = [e for e in log_events if e["event"] == "event_held"]
    assert [e["message_id"] for e in held] == [event.message_id]


async def test_a_stop_while_reconnecting_leaves_no_connection_task_behind(
    make_harness: HarnessFactory,
) -> None:
    # SIGTERM while the daemon reconnects: run() is cancelled, then close() shuts the outbox
    # worker. The connection task must be gone by then, or its next attempt hands
    # connection_lost to a shut executor ("cannot schedule new futures after shutdown").
    attempts = 0

    async def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("refused", request=request)

    clock = ManualClock()
    h = make_harness(
        "http://cic.invalid", clock=clock, transport_factory=lambda: httpx.MockTransport(refuse)
    )
    await until(lambda: attempts == 1 and clock.pending > 0)
    assert h.task is not None
    h.task.cancel()
    await asyncio.gather(h.task, return_exceptions=True)
    await h.client.close()
    alive = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("cic-")]
    assert alive == []
    clock.advance(60)  # a backoff that had outlived run() would end now and try again
    await settle()
    assert attempts == 1
