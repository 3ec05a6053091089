"""Real libVLC: a media that cannot be played is abandoned with the cause libVLC logged, so a
technician can act on it (an HTTP status, a refused port, an unknown host, TLS, not audio)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from clova_client.player.backend import BackendEventType, MediaSource
from clova_client.player.backends.vlc import VlcBackend
from clova_client.player.backends.vlc.diagnosis import OPEN_FAILED, cause_of
from tests.player.backends.events import Events
from tests.support.fixtures import media_dir, media_server  # noqa: F401  (fixtures)
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.vlc


@pytest.fixture
async def backend() -> AsyncIterator[tuple[VlcBackend, Events]]:
    events = Events()
    vlc_backend = VlcBackend("null")
    vlc_backend.attach(events.add)
    yield vlc_backend, events
    await vlc_backend.close()


async def _failure(backend: tuple[VlcBackend, Events], url: str, sid: int) -> str:
    player, events = backend
    await player.play(MediaSource(sid, url))
    async with asyncio.timeout(20):
        while not any(e.source_id == sid and e.type is BackendEventType.ERROR for e in events):
            events.arrived.clear()
            await events.arrived.wait()
    (error,) = [e for e in events if e.source_id == sid and e.type is BackendEventType.ERROR]
    assert error.reason is not None
    return error.reason


async def test_each_cause_has_its_own_reason(
    backend: tuple[VlcBackend, Events],
    media_server: MediaServer,  # noqa: F811
) -> None:
    reasons = {
        "404": await _failure(backend, media_server.url("missing", "gone.mp3"), 1),
        "403": await _failure(backend, media_server.status_url(403), 2),
        "503": await _failure(backend, media_server.status_url(503), 3),
        "refused": await _failure(backend, media_server.refused_url(), 4),
        "dns": await _failure(backend, "http://no-such-host.invalid/a.mp3", 5),
        "tls": await _failure(backend, media_server.base.replace("http:", "https:") + "/x", 6),
        "garbage": await _failure(backend, media_server.url("garbage", "noise.mp3"), 7),
    }
    assert reasons == {
        "404": "HTTP 404 from the media server",
        "403": "HTTP 403 from the media server",
        "503": "HTTP 503 from the media server",
        "refused": "connection refused by the media server",
        "dns": "DNS failure: cannot resolve no-such-host.invalid",
        "tls": "TLS failure: the handshake failed",
        "garbage": "not audio: the media ended without any decodable audio",
    }


def test_unknown_log_lines_give_no_cause() -> None:
    assert cause_of(["something else went wrong"]) is None
    assert cause_of(["connection failed: Connection timed out"]) == (
        "timeout connecting to the media server"
    )


async def test_the_log_file_is_emptied_as_it_grows_and_causes_are_still_found(
    backend: tuple[VlcBackend, Events],
    media_server: MediaServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clova_client.player.backends.vlc import diagnosis

    monkeypatch.setattr(diagnosis, "TRIM_BYTES", 1)  # every open starts an empty file
    log = backend[0]._diagnosis
    refused = await _failure(backend, media_server.refused_url(), 1)
    assert os.fstat(log._fd).st_size > 0  # libVLC wrote its lines there, not to Python
    missing = await _failure(backend, media_server.url("missing", "gone.mp3"), 2)
    assert (refused, missing) == (
        "connection refused by the media server",
        "HTTP 404 from the media server",
    )
    log.trim()  # what the backend does before each open
    assert os.fstat(log._fd).st_size == 0 and log.cause("http://elsewhere/x") == OPEN_FAILED
