"""A button press is time-sensitive: one not delivered within button_ttl_s is dropped (and the
caller told so), never sent late; every other event waits in the outbox as long as it takes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from clova_client.protocol import make_event

from .helpers import settings_for, until, write_token_file
from .test_client_edges import FakeCic


class Wall:
    """The wall clock the outbox stamps events with, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _client(tmp_path: Path, fake: FakeCic, wall: Wall) -> CicClient:
    router = Router()
    client = CicClient(
        settings_for("http://cic.invalid", button_ttl_s=10.0),
        TokenStore(write_token_file(tmp_path / "token")),
        Outbox(tmp_path / "outbox.db", wall=wall),
        router,
        rng=random.Random(1),
        transport_factory=lambda: httpx.MockTransport(fake.handler),
        wall=wall,
    )
    client.register_handlers(router)
    return client


async def test_a_press_made_offline_for_longer_than_the_limit_is_never_delivered(
    tmp_path: Path, log_events: list[MutableMapping[str, Any]]
) -> None:
    fake, wall = FakeCic(), Wall()
    client = _client(tmp_path, fake, wall)
    press = make_event("PlaybackController", "PauseCommandIssued", {})
    report = make_event("AudioPlayer", "PlayPaused", {"token": "t"})
    await client.delivery.store(press)
    await client.delivery.store(report)
    waiting = asyncio.create_task(client.delivery.wait_delivered(press.message_id, 3600))
    wall.now += 10.5  # CIC unreachable for longer than the limit
    task = asyncio.create_task(client.run())
    try:
        assert await waiting is False
        await until(lambda: fake.events == [report.message_id])
        assert await client.delivery.flush(10) == 0  # the report, answered, leaves the outbox too
        (expired,) = [e for e in log_events if e["event"] == "event_expired"]
        assert expired["message_id"] == press.message_id
        assert expired["log_level"] == "warning" and "10 s" in expired["reason"]
    finally:
        await client.close()
    assert task.done()


async def test_a_fresh_press_is_delivered_and_the_caller_told(tmp_path: Path) -> None:
    fake, wall = FakeCic(), Wall()
    client = _client(tmp_path, fake, wall)
    task = asyncio.create_task(client.run())
    try:
        press = make_event("PlaybackController", "NextCommandIssued", {})
        await client.delivery.store(press)
        wall.now += 9.0  # within the limit
        assert await client.delivery.wait_delivered(press.message_id, 30) is True
        assert fake.events == [press.message_id]
    finally:
        await client.close()
    assert task.done()
