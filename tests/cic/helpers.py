"""Shared helpers of the CIC tests."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from clova_client.cic.settings import CicSettings
from clova_client.cic.state import ConnectionState
from clova_client.cic.user_agent import UserAgent
from clova_client.mock_cic import MockCicServer
from clova_client.protocol import Directive, Event, context_item, make_event

TOKEN = "at-5ecret-0001"
DEVICE = "dev"
REFRESH = "rt-5ecret-0001"
UA = UserAgent("Acme", "Speaker", "1.2.3", "Raspbian", "11", "RPi3B", {"lang": "ko"})


def write_token_file(path: Path, access: str = TOKEN, refresh: str | None = REFRESH) -> Path:
    path.write_text(json.dumps({"access_token": access, "refresh_token": refresh}))
    os.chmod(path, 0o600)
    return path


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Poll a condition (a safety-net limit, not a timing assertion)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polls state owned by other objects
            await asyncio.sleep(0.005)


async def settle() -> None:
    """Let in-flight I/O run before asserting that something did NOT happen."""
    await asyncio.sleep(0.1)


class HighRandom(random.Random):
    """uniform() always returns its upper bound: delays are exactly first_s * 2**n."""

    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass
class Harness:
    """A client wired to a mock server, running in a task; records what the router saw."""

    client: CicClient
    router: Router
    store: TokenStore
    outbox: Outbox
    token_file: Path
    seen: list[Directive[Any]] = field(default_factory=list)
    states: list[tuple[ConnectionState, ConnectionState]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.client.run())

    async def connected(self) -> None:
        await asyncio.wait_for(self.client.wait_for_state(ConnectionState.CONNECTED), 10)

    async def stop(self) -> None:
        await self.client.close()
        self.outbox.close()


def settings_for(target: str | MockCicServer, **overrides: Any) -> CicSettings:
    """Settings for a URL, or for a mock: its CIC URL (TLS: trusting its CA; h2c: prior
    knowledge) and its /token."""
    if isinstance(target, MockCicServer):
        base = CicSettings(
            base_url=target.base_url,
            user_agent=UA,
            auth_url=target.auth_url,
            ca_file=target.ca_file,
            http2_prior_knowledge=not target.tls,
            ping_interval_s=30.0,
            ping_timeout_s=5.0,
        )
    else:
        base = CicSettings(
            base_url=target,
            user_agent=UA,
            auth_url=f"{target}/token",
            ping_interval_s=30.0,
            ping_timeout_s=5.0,
        )
    return replace(base, **overrides)


def audio_event(name: str, payload: dict[str, Any], activity: str = "PLAYING") -> Event:
    """An AudioPlayer event with the PlaybackState context CIC requires of it."""
    state = {"playerActivity": activity, "offsetInMilliseconds": 0}
    context = [context_item("AudioPlayer", "PlaybackState", state)]
    return make_event("AudioPlayer", name, payload, context)


HarnessFactory = Callable[..., Harness]
