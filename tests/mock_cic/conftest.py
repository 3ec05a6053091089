from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from clova_client.mock_cic import MockCicServer

TOKENS = {"token-a": "dev-a", "token-b": "dev-b"}
MEDIA = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable modulo 256


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    (tmp_path / "song.bin").write_bytes(MEDIA)
    return tmp_path


@pytest.fixture
async def server(media_dir: Path) -> AsyncIterator[MockCicServer]:
    async with MockCicServer(tokens=TOKENS, media_dir=media_dir) as mock:
        yield mock


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client
