"""Real libVLC: a Play opens on a player made ahead (its output and callbacks attached), so the
Play's own work is its media and ``play()``: ``media_player_new`` loads the output module,
3.5-3.9 ms for ALSA or PulseAudio here (docs/PERFORMANCE.md)."""

from __future__ import annotations

import asyncio

import pytest

from clova_client.player.backend import BackendEventType, MediaSource
from clova_client.player.backends.vlc import VlcBackend
from tests.player.backends.events import Events
from tests.support.fixtures import media_dir, media_server  # noqa: F401  (fixtures)
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.vlc


async def _sounds(backend: VlcBackend, events: Events, source: MediaSource) -> None:
    await backend.play(source)
    async with asyncio.timeout(20):
        while not any(
            e.source_id == source.source_id and e.type is BackendEventType.TIME for e in events
        ):
            events.arrived.clear()
            await events.arrived.wait()


async def test_each_play_opens_on_the_player_made_before_it_and_another_is_made(
    media_server: MediaServer,  # noqa: F811
) -> None:
    events = Events()
    backend = VlcBackend("null")
    backend.attach(events.add)
    try:
        await backend._worker.run(lambda: None)  # the worker made the first one meanwhile
        first = backend._spare.player
        assert first is not None and first.media is None  # made ahead: no media yet
        url = media_server.url("range", "noise-4000ms-1.mp3")
        await _sounds(backend, events, MediaSource(1, url))
        assert backend._current is not None and backend._current.player is first
        await backend._worker.run(lambda: None)
        second = backend._spare.player
        assert second is not None and second is not first and second.media is None
        await _sounds(backend, events, MediaSource(2, url))  # replacing the first
        assert backend._current is not None and backend._current.player is second
    finally:
        await backend.close()
    assert backend._spare.player is None  # released with the backend
