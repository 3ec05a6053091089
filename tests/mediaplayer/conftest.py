"""A speaker without the network: the router, both agents, both engines on one real
``VlcBackend("null")`` (through the SharedBackend), a real library of mutagen-tagged files in
SQLite. Directives go through ``Router.dispatch`` as JSON; events are collected in order.
Waits poll real state with a generous limit: they bound a hang, they are never asserted on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clova_client.agents.audioplayer import AudioPlayerAgent
from clova_client.agents.audioplayer_reporter import AudioPlayerReporter
from clova_client.agents.audioplayer_state import playback_state
from clova_client.agents.context import AUDIO_PLAYER_STATE, MEDIA_PLAYER_STATE
from clova_client.agents.mediaplayer import MediaPlayerAgent
from clova_client.agents.outbound import EventOut
from clova_client.agents.playback_controller import AudioSide, PlaybackControllerAgent
from clova_client.agents.router import Outcome, Router
from clova_client.agents.template_runtime import TemplateRuntimeAgent
from clova_client.clock import LoopClock
from clova_client.library import Library
from clova_client.library.music import MusicApp
from clova_client.player.backends.vlc import VlcBackend
from clova_client.player.engine import PlayerEngine
from clova_client.player.settings import PlayerSettings
from clova_client.player.shared import SharedBackend
from clova_client.protocol import Event, JsonObject
from tests.library.media import Song, base_audio, make_library, write_m3u

SETTINGS = PlayerSettings(open_timeout_s=5, stall_timeout_s=5, stream_deliver_timeout_s=5)
ALPHA = ("A1", "A2", "A3")

SONGS = (
    *(
        Song(
            f"Alpha Band/First/{n} {title}.mp3",
            title,
            ("Alpha Band",),
            "First",
            ("Rock",),
            f"2021-0{n}-01",
            n,
        )
        for n, title in enumerate(ALPHA, 1)
    ),
    Song("Lonely/Solo.ogg", "Solo", ("Lonely",), "Alone", ("Folk",), "1999", 1, lyrics="la la"),
)
PLAYLISTS = {
    "chill.m3u": ["../Alpha Band/First/2 A2.mp3", "../Lonely/Solo.ogg"],
    "empty.m3u": ["../nothing/here.mp3"],
    "workout.m3u": ["../Alpha Band/First/1 A1.mp3"],
}


def directive(namespace: str, name: str, payload: JsonObject | None = None) -> JsonObject:
    header = {"namespace": namespace, "name": name, "messageId": str(uuid.uuid4())}
    return {"directive": {"header": header, "payload": payload or {}}}


def context_of(event: Event, namespace: str) -> JsonObject:
    for item in event.context:
        if item["header"] == {"namespace": namespace, "name": "PlaybackState"}:
            payload = item["payload"]
            assert isinstance(payload, dict)
            return payload
    raise AssertionError(f"{event.full_name} has no {namespace}.PlaybackState context")


@dataclass
class Speaker:
    router: Router
    output: SharedBackend
    audio: PlayerEngine
    music: MusicApp
    library: Library
    template: TemplateRuntimeAgent
    controller: PlaybackControllerAgent
    root: Path
    events: list[Event] = field(default_factory=list)
    tokens: int = 0

    def emit(self, event: Event) -> None:
        self.events.append(event)

    async def dispatch(self, raw: JsonObject) -> Outcome:
        outcome = await self.router.dispatch(raw)
        await self.settle()
        return outcome

    async def mp(self, name: str, **payload: Any) -> Event:
        """Send MediaPlayer.<name> (a fresh token unless given); return its one result event."""
        self.tokens += 1
        payload.setdefault("token", f"tok-{self.tokens}")
        before = len(self.events)
        assert await self.dispatch(directive("MediaPlayer", name, payload)) is Outcome.HANDLED
        results = [e for e in self.events[before:] if e.header.namespace == "MediaPlayer"]
        assert len(results) == 1, [e.full_name for e in self.events[before:]]
        assert results[0].payload.get("token") == payload["token"]
        return results[0]

    async def settle(self) -> None:
        await self.output.wait_handovers()
        await self.audio.wait_idle()
        await self.music.wait_idle()

    def names(self, namespace: str | None = None) -> list[str]:
        return [
            e.full_name for e in self.events if namespace is None or e.header.namespace == namespace
        ]

    async def until(self, predicate: Callable[[], bool], within: float = 15.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - polls the engines' state
                await asyncio.sleep(0.01)

    async def playing(self, title: str) -> None:
        """Wait until the music app sounds ``title``."""

        def sounding() -> bool:
            current, attempt = self.music.current(), self.music.engine.attempt()
            return (
                current is not None
                and current.title == title
                and attempt is not None
                and not attempt.starting
                and self.music.engine.state.value == "PLAYING"
            )

        await self.until(sounding)

    async def position_past(self, ms: int) -> None:
        await self.until(lambda: self.music.play_time_ms() >= ms)


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return base_audio(tmp_path_factory.mktemp("mp-base"))


SpeakerFactory = Callable[..., Awaitable[Speaker]]


@pytest.fixture
async def make_speaker(tmp_path: Path, base: dict[str, Path]) -> AsyncIterator[SpeakerFactory]:
    made: list[Speaker] = []

    async def factory(*, playlists: bool = True, configured: bool = True) -> Speaker:
        root = tmp_path / f"music-{len(made)}"
        make_library(root, base, SONGS)
        if playlists:
            for name, lines in PLAYLISTS.items():
                write_m3u(root / "lists" / name, lines)
        output = SharedBackend(VlcBackend("null"))
        clock = LoopClock()
        router = Router()
        audio_port = output.port("AudioPlayer")
        library = Library([root] if configured else [], tmp_path / f"library-{len(made)}.db")
        music = MusicApp(
            library, output.port("MediaPlayer"), clock, SETTINGS, handover=output.wait_handovers
        )
        speaker: Speaker
        audio = PlayerEngine(audio_port, clock, SETTINGS)
        audio_port.on_preempted = audio.stop
        out = EventOut(lambda e: speaker.emit(e))
        out.context.provide(AUDIO_PLAYER_STATE, lambda: playback_state(audio.status()).context())
        out.context.provide(MEDIA_PLAYER_STATE, lambda: music.context().context())
        template = TemplateRuntimeAgent(out)
        audio.subscribe(AudioPlayerReporter(out).on_notice)
        audio.subscribe(template.on_notice)
        controller = PlaybackControllerAgent([AudioSide(audio), music], out, audio)
        speaker = Speaker(router, output, audio, music, library, template, controller, root)
        AudioPlayerAgent(audio).register(router)
        MediaPlayerAgent(music, out).register(router)
        template.register(router)
        controller.register(router)
        await audio.start()
        await music.start()
        if configured:
            await library.scanned()
        made.append(speaker)
        return speaker

    yield factory
    for speaker in made:
        await speaker.audio.close()
        await speaker.music.close()


@pytest.fixture
async def speaker(make_speaker: SpeakerFactory) -> Speaker:
    return await make_speaker()
