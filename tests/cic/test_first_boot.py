"""First boot: no token file yet is a normal state. The client waits, watches the file, and
connects as soon as a valid one appears; a bad one is logged once and waited out."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from clova_client.cic.state import ConnectionState as S

from .helpers import settings_for, until, write_token_file
from .test_client_edges import FakeCic


async def test_waits_for_the_token_file_then_connects(
    tmp_path: Path, log_events: list[MutableMapping[str, Any]]
) -> None:
    token_file = tmp_path / "access_token"
    store = TokenStore(token_file, missing_ok=True)
    assert not store.present
    fake = FakeCic()
    router = Router()
    client = CicClient(
        settings_for("http://cic.invalid", token_poll_s=0.01),
        store,
        Outbox(tmp_path / "outbox.db"),
        router,
        rng=random.Random(1),
        transport_factory=lambda: httpx.MockTransport(fake.handler),
    )
    client.register_handlers(router)
    states: list[tuple[S, S]] = []
    client.add_state_listener(lambda old, new: states.append((old, new)))
    task = asyncio.create_task(client.run())
    try:
        await until(lambda: client.state is S.WAITING_FOR_TOKEN)
        assert fake.downchannels == 0
        token_file.write_text(json.dumps({"access_token": "a1"}))
        token_file.chmod(0o644)  # a technician's slip: logged once, still waiting
        await until(lambda: any(e["event"] == "cic.token_file_unusable" for e in log_events))
        assert client.state is S.WAITING_FOR_TOKEN
        write_token_file(token_file)
        await until(lambda: client.state is S.CONNECTED)
        assert fake.downchannels == 1
        assert states[:2] == [
            (S.DISCONNECTED, S.WAITING_FOR_TOKEN),
            (S.WAITING_FOR_TOKEN, S.CONNECTING),
        ]
        waiting = [e for e in log_events if e["event"] == "cic.waiting_for_token"]
        unusable = [e for e in log_events if e["event"] == "cic.token_file_unusable"]
        assert len(waiting) == 1 and waiting[0]["log_level"] == "warning"
        assert len(unusable) == 1 and "0644" in unusable[0]["reason"]
    finally:
        await client.close()
        assert task.done()
