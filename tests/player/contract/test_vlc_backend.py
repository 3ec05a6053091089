"""What only VlcBackend has: output choice, deferred pre-roll, stale pre-rolls, life cycle."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clova_client.player.backend import BackendEventType as T
from clova_client.player.backends.vlc import VlcBackend, resolve_output
from tests.player.contract.harness import VlcHarness
from tests.support.fixtures import media_dir  # noqa: F401  (a fixture)
from tests.support.media_server import MediaServer


def test_explicit_outputs_pass_and_unknown_ones_fail() -> None:
    assert [resolve_output(o) for o in ("null", "alsa", "pulse")] == ["null", "alsa", "pulse"]
    with pytest.raises(ValueError):
        resolve_output("oss")  # type: ignore[arg-type]


def test_auto_picks_pulse_when_its_socket_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    (tmp_path / "pulse").mkdir()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "pulse" / "native"))
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        assert resolve_output("auto") == "pulse"
    finally:
        server.close()
    monkeypatch.setenv("PULSE_SERVER", "unix:/nowhere")
    assert resolve_output("auto") == "pulse"


@pytest.fixture
async def server(media_dir: Path) -> AsyncIterator[MediaServer]:  # noqa: F811
    async with MediaServer(media_dir) as srv:
        yield srv


def requests_for(server: MediaServer, url: str) -> int:
    path = url.split(server.base, 1)[1]
    return sum(1 for r in server.requests if r.path == path)


@pytest.mark.vlc
async def test_prepare_waits_until_the_current_source_nears_its_end(server: MediaServer) -> None:
    h = VlcHarness(server, VlcBackend("null", preroll_lead_s=1.0))
    try:
        a = await h.play("ok", fmt="mp3", length_ms=3000)
        await h.wait_for(T.TIME)
        b = h.source("ok", fmt="wav", length_ms=1500)
        await h.backend.prepare(b)
        assert h.vlc.prepared_source is None  # deferred: 3 s left, the lead is 1 s
        assert requests_for(server, b.url) == 0
        await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 2000)
        await h.run_for(100)
        assert h.vlc.prepared_source == b
        assert requests_for(server, b.url) == 1
        await h.wait_for(T.ENDED, lambda e: e.source_id == a.source_id)
        mark = h.mark()
        await h.backend.play(b)
        await h.wait_for(T.ENDED, after=mark)
        assert [e.source_id for e in h.since(mark)] == [b.source_id] * len(h.since(mark))
        assert requests_for(server, b.url) == 1  # the pre-rolled player played it
    finally:
        await h.close()


@pytest.mark.vlc
async def test_a_stale_pre_roll_is_opened_afresh(server: MediaServer) -> None:
    h = VlcHarness(server, VlcBackend("null", prepared_max_age_s=0.0))
    try:
        b = h.source("ok", fmt="wav", length_ms=1500)
        await h.backend.prepare(b)
        await asyncio.sleep(0.05)
        await h.backend.play(b)
        await h.wait_for(T.TIME, lambda e: (e.time_ms or 0) >= 300)
        assert requests_for(server, b.url) == 2
        assert {e.source_id for e in h.events} == {b.source_id}
    finally:
        await h.close()


@pytest.mark.vlc
async def test_stop_drops_the_pre_roll_and_close_ends_the_backend(server: MediaServer) -> None:
    h = VlcHarness(server)
    a = await h.play("ok", fmt="wav", length_ms=1500)
    await h.backend.prepare(h.source("ok", fmt="mp3", length_ms=1500))
    assert h.vlc.prepared_source is not None
    await h.backend.stop()
    assert h.vlc.prepared_source is None and h.vlc.current_source is None
    await h.close()
    await h.close()  # twice is fine
    with pytest.raises(RuntimeError):
        await h.backend.play(a)


@pytest.mark.vlc
async def test_a_new_source_pre_rolls_while_the_old_one_stops_and_sounds_only_after(
    server: MediaServer,
) -> None:
    # play() opens the new media first and stops the old player meanwhile (a stop takes a few
    # ms, on ALSA up to ~50); the new one opens its output and sounds only once the old is quiet.
    h = VlcHarness(server)
    try:
        await h.play("ok", fmt="mp3", length_ms=3000)
        await h.wait_for(T.TIME)
        old = h.vlc._current
        assert old is not None
        stop_entered, stop_may_end = threading.Event(), threading.Event()
        real_stop = old.player.stop

        def slow_stop() -> None:
            stop_entered.set()
            stop_may_end.wait(10)
            real_stop()

        old.player.stop = slow_stop  # type: ignore[method-assign]
        b = h.source("ok", fmt="wav", length_ms=1500)
        mark = h.mark()
        playing = asyncio.create_task(h.backend.play(b))
        new = None
        for _ in range(500):  # a safety limit, not a timing assertion
            new = h.vlc._current
            if stop_entered.is_set() and new is not None and new.prerolled_at is not None:
                break
            await asyncio.sleep(0.01)
        assert new is not None and new.source == b and new.prerolled_at is not None
        assert requests_for(server, b.url) == 1  # opened before the old one stopped
        await h.run_for(100)
        sounding = [e for e in h.since(mark) if e.type in (T.PLAYING, T.TIME)]
        assert new.stage == "preroll" and sounding == []  # held: the old one still stops
        stop_may_end.set()
        await playing
        await h.wait_for(T.TIME, lambda e: e.source_id == b.source_id, after=mark)
        assert {e.source_id for e in h.since(mark)} == {b.source_id}
    finally:
        stop_may_end.set()
        await h.close()
