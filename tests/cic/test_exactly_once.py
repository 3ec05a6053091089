"""Exactly once, as far as the client can know: an event whose POST got its answer is never sent
again, even when the downchannel ends right after; a GOAWAY reopens at once, no backoff."""

from __future__ import annotations

import collections
from collections.abc import MutableMapping
from typing import Any

from clova_client.cic.state import ConnectionState as S
from clova_client.clock import ManualClock
from clova_client.mock_cic import MockCicServer

from .helpers import DEVICE, HarnessFactory, audio_event, until

ROUNDS = 200


async def test_answer_then_end_the_downchannel_200_times_sends_nothing_twice(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    # The clock never moves: every reconnect must happen at once, none may wait out a backoff.
    h = make_harness(mock, clock=ManualClock(), reopen_at_once_after_s=0.0)
    await h.connected()
    sent = []
    for n in range(ROUNDS):
        mock.answer_then_end_downchannel(DEVICE)
        event = audio_event("ProgressReportIntervalPassed", {"token": f"t-{n}"})
        sent.append(event.message_id)
        await h.client.delivery.store(event)
        await mock.wait_downchannel(DEVICE, opened_count=n + 2)
    await until(lambda: len(mock.events(DEVICE)) >= ROUNDS)
    await until(lambda: h.outbox.pending == 0)
    counts = collections.Counter(e.message_id for e in mock.events(DEVICE))
    duplicates = {mid: c for mid, c in counts.items() if c > 1}
    assert duplicates == {}
    assert [e.message_id for e in mock.events(DEVICE)] == sent  # all, once, in order
    assert mock.device(DEVICE).rejected_events == []  # no 412: none went out on an ended channel
    assert S.BACKING_OFF not in {new for _, new in h.states}


async def test_goaway_reopens_at_once_without_backoff(
    mock: MockCicServer,
    make_harness: HarnessFactory,
    log_events: list[MutableMapping[str, Any]],
) -> None:
    clock = ManualClock()
    h = make_harness(mock, clock=clock)
    await h.connected()
    clock.advance(5)  # up a while (a channel closed right after opening backs off instead)
    assert mock.goaway(DEVICE)
    await mock.wait_downchannel(DEVICE, opened_count=2)  # the clock did not move: no delay
    await h.connected()
    assert S.BACKING_OFF not in {new for _, new in h.states}
    closed = [e for e in log_events if e["event"] == "cic.downchannel_closed"]
    assert closed and closed[0]["action"] == "reopen at once"
    event = audio_event("PlayPaused", {"token": "after-goaway"})
    await h.client.delivery.store(event)  # the new connection carries events (no 412)
    await until(lambda: event.message_id in {e.message_id for e in mock.events(DEVICE)})
