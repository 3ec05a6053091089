from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.player.contract.harness import BackendHarness, FakeHarness, VlcHarness
from tests.support.fixtures import media_dir  # noqa: F401  (a fixture)
from tests.support.media_server import MediaServer


@pytest.fixture(params=["fake", pytest.param("vlc", marks=pytest.mark.vlc)])
async def h(request: pytest.FixtureRequest, media_dir: Path) -> AsyncIterator[BackendHarness]:  # noqa: F811
    """The same contract test, once against FakeBackend (ManualClock) and once against
    VlcBackend("null") playing from a real local HTTP server."""
    if request.param == "fake":
        fake = FakeHarness()
        yield fake
        await fake.close()
        return
    async with MediaServer(media_dir) as server:
        real = VlcHarness(server)
        try:
            yield real
        finally:
            await real.close()
