"""Pytest fixtures for real media: import them into a conftest or a test module.

``media_dir`` is session-scoped and cached on disk for the run; ``media_server`` is a
``MediaServer`` on 127.0.0.1 bound to the test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.media import garbage_file, media_file
from tests.support.media_server import MediaServer

# Every length the player tests use: made once per session, a few hundred kB each.
LENGTHS_MS = (1500, 2000, 3000, 4000)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("media")
    for length in LENGTHS_MS:
        for fmt in ("wav", "mp3", "ogg"):
            media_file(directory, fmt, length)
    garbage_file(directory)
    return directory


@pytest.fixture
async def media_server(media_dir: Path) -> AsyncIterator[MediaServer]:
    async with MediaServer(media_dir) as server:
        yield server
