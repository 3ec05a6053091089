from __future__ import annotations

import aiohttp

from clova_client.mock_cic import MockCicServer

from .conftest import MEDIA


async def test_range_request_gets_206_with_the_right_bytes(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    headers = {"Range": "bytes=1000-1999"}
    async with session.get(f"{server.control_url}/media/song.bin", headers=headers) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(MEDIA)}"
        assert await response.read() == MEDIA[1000:2000]


async def test_open_ended_range_and_full_file(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    async with session.get(
        f"{server.control_url}/media/song.bin", headers={"Range": "bytes=10000-"}
    ) as response:
        assert response.status == 206
        assert await response.read() == MEDIA[10000:]
    async with session.get(f"{server.control_url}/media/song.bin") as response:
        assert response.status == 200
        assert response.headers["Accept-Ranges"] == "bytes"
        assert await response.read() == MEDIA


async def test_missing_and_escaping_paths_are_404(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    for path in ("/media/nope.mp3", "/media/..%2Fconftest.py", "/media/%2Fetc%2Fpasswd"):
        async with session.get(server.control_url + path) as response:
            assert response.status == 404, path


async def test_media_is_not_touched_by_fail_next(
    server: MockCicServer, session: aiohttp.ClientSession
) -> None:
    server.fail_next(1, 500)
    async with session.get(f"{server.control_url}/media/song.bin") as response:
        assert response.status == 200
