"""SharedBackend: two engines' ports on one backend (FakeBackend, driven by hand)."""

from __future__ import annotations

import asyncio

from clova_client.player.backend import BackendEvent, BackendEventType, MediaSource
from clova_client.player.backends.fake import FakeBackend
from clova_client.player.shared import SharedBackend


async def test_ids_events_ownership_and_preemption() -> None:
    fake = FakeBackend()
    shared = SharedBackend(fake)
    audio, media = shared.port("AudioPlayer"), shared.port("MediaPlayer")
    got: dict[str, list[BackendEvent]] = {"audio": [], "media": []}
    audio.attach(got["audio"].append)
    media.attach(got["media"].append)
    lost: list[str] = []

    async def audio_lost() -> None:
        lost.append("audio")

    audio.on_preempted = audio_lost

    await audio.play(MediaSource(1, "a.mp3"))
    assert fake.current is not None and fake.current.source_id != 1  # renumbered ...
    fake.emit_time(500)
    assert got["audio"] == [BackendEvent(1, BackendEventType.TIME, time_ms=500)]  # ... and back
    assert audio.owns_output and lost == []

    await media.prepare(MediaSource(1, "m.mp3"))  # not the owner: no pre-roll over the other
    assert fake.calls_named("prepare") == []
    await media.play(MediaSource(1, "m.mp3"))  # the same local id as audio's: no clash
    await shared.wait_handovers()
    assert lost == ["audio"] and media.owns_output
    fake.emit_time(20)
    assert got["media"] == [BackendEvent(1, BackendEventType.TIME, time_ms=20)]
    assert len(got["audio"]) == 1

    before = list(fake.calls)
    for call in (
        audio.pause(),
        audio.resume(),
        audio.seek(5),
        audio.stop(),
        audio.prepare(MediaSource(2, "b.mp3")),
    ):
        await call  # the loser's controls never touch the winner's sound
    assert fake.calls == before
    await media.seek(1000)
    await media.pause()
    assert fake.calls[len(before) :] == [("seek", 1000), ("pause", None)]

    await media.play(MediaSource(2, "n.mp3"))  # the owner again: nobody else is told
    await shared.wait_handovers()
    assert lost == ["audio"]


async def test_backend_closes_when_every_port_has() -> None:
    fake = FakeBackend()
    shared = SharedBackend(fake)
    one, two = shared.port("a"), shared.port("b")
    await one.close()
    await one.close()
    assert not fake.closed
    await two.close()
    assert fake.closed


async def test_a_failing_handover_is_logged_not_raised() -> None:
    fake = FakeBackend()
    shared = SharedBackend(fake)
    first, second = shared.port("a"), shared.port("b")

    async def boom() -> None:
        raise RuntimeError("engine closed")

    first.on_preempted = boom
    await first.play(MediaSource(1, "x"))
    await second.play(MediaSource(1, "y"))
    await shared.wait_handovers()
    await asyncio.sleep(0)
    assert second.owns_output
