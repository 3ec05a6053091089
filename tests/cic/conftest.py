from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import structlog

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from clova_client.cic.transport import TransportFactory
from clova_client.clock import Clock
from clova_client.mock_cic import MockCicServer
from clova_client.protocol import Directive

from .helpers import DEVICE, REFRESH, TOKEN, Harness, HarnessFactory, settings_for, write_token_file


@pytest.fixture
async def mock() -> AsyncIterator[MockCicServer]:
    async with MockCicServer(tokens={TOKEN: DEVICE}, refresh_tokens={REFRESH: DEVICE}) as server:
        yield server


@pytest.fixture
def log_events() -> Iterator[list[MutableMapping[str, Any]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
async def make_harness(tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    made: list[Harness] = []

    def factory(
        target: str | MockCicServer,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        max_events: int = 1000,
        start: bool = True,
        name: str = "a",
        transport_factory: TransportFactory | None = None,
        **overrides: Any,
    ) -> Harness:
        token_file = tmp_path / f"token-{name}.json"
        if not token_file.exists():
            write_token_file(token_file)
        store = TokenStore(token_file)
        outbox = Outbox(tmp_path / f"outbox-{name}.db", max_events=max_events)
        router = Router()
        client = CicClient(
            settings_for(target, **overrides),
            store,
            outbox,
            router,
            clock=clock,
            rng=rng or random.Random(1),
            transport_factory=transport_factory,
        )
        client.register_handlers(router)
        h = Harness(client, router, store, outbox, token_file)
        client.add_state_listener(lambda old, new: h.states.append((old, new)))

        async def record(directive: Directive[Any], attachments: Any) -> None:
            h.seen.append(directive)

        for ns, nm in (("AudioPlayer", "Play"), ("AudioPlayer", "Stop"), ("Test", "Ping")):
            router.register(ns, nm, record)
        if start:
            h.start()
        made.append(h)
        return h

    yield factory
    for h in made:
        await h.stop()
