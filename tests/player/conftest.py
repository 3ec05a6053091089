from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.player.helpers import Harness, make_harness

HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def new_harness() -> AsyncIterator[HarnessFactory]:
    """Make engines wired to FakeBackends; every one is closed after the test."""
    made: list[Harness] = []

    async def factory(*args: Any, **kwargs: Any) -> Harness:
        harness = await make_harness(*args, **kwargs)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        await harness.engine.close()
