from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from clova_client.mock_cic import MockCicServer

from .helpers import DownchannelReader, client_for

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
    """For the plain-HTTP port: control API, media, /token."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def cic(server: MockCicServer) -> AsyncIterator[httpx.AsyncClient]:
    """One HTTP/2 (TLS) connection to the CIC port."""
    async with client_for(server) as client:
        yield client


@pytest.fixture
async def online(server: MockCicServer, cic: httpx.AsyncClient) -> AsyncIterator[DownchannelReader]:
    """dev-a's downchannel, open on ``cic`` and past Clova.Hello: events may come on ``cic``."""
    reader = DownchannelReader(cic, "token-a")
    assert (await reader.open()).status_code == 200
    assert await reader.next_part() is not None
    await server.wait_downchannel("dev-a")
    yield reader
    await reader.close()
