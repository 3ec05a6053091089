"""Builds the ``status`` document from the live parts' typed accessors (never from saved files).

The music app's song is shown when it has (or last had) the speaker; otherwise the AudioPlayer
item, with RenderPlayerInfo's metadata when TemplateRuntime has some.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from .. import __version__
from ..agents.audioplayer_state import repeat_mode
from ..player.notices import Notice, NoticeKind
from .status import (
    CurrentItem,
    ErrorInfo,
    FailureInfo,
    OutboxInfo,
    StatusDocument,
    VoiceInfo,
)

if TYPE_CHECKING:
    from ..agents.template_runtime import TemplateRuntimeAgent
    from ..cic.client import CicClient
    from ..cic.sender import EventSender
    from ..library.music import MusicApp
    from ..player.engine import PlayerEngine
    from ..player.shared import SharedBackend


class OutboxHealth(Protocol):
    """What status shows of the outbox besides the pending count (``cic.outbox.Outbox``)."""

    @property
    def disk(self) -> str: ...

    @property
    def in_memory(self) -> int: ...


@dataclass
class StatusBuilder:
    engine: PlayerEngine
    client: CicClient
    sender: EventSender
    music: MusicApp
    output: SharedBackend
    template_runtime: TemplateRuntimeAgent
    errors: Callable[[], Iterable[ErrorInfo]]
    started_at: float = field(default_factory=time.time)
    connection_since: float = field(default_factory=time.time)
    """When the connection entered its current state (the daemon updates it)."""
    last_failure: FailureInfo | None = None
    last_start: float = 0.0
    """Wall time an item last started sounding (either engine)."""
    outbox: OutboxHealth | None = None
    voice: Callable[[], Mapping[str, Any]] | None = None
    """The voice part (``SpeechRecognizerAgent.status``); None: not shown."""

    def on_notice(self, notice: Notice) -> None:
        """Subscribed to both engines: remembers the last failure and the last start."""
        if notice.kind is NoticeKind.FAILED:
            token = notice.item.token if notice.item else None
            reason = notice.reason or "unknown"
            self.last_failure = {
                "token": token or "",
                "reason": reason,
                "at": time.time(),
                "past": False,
            }
        elif notice.kind in (NoticeKind.STARTED, NoticeKind.RESUMED):
            self.last_start = time.time()

    def build(self) -> StatusDocument:
        client = self.client
        doc: StatusDocument = {
            "version": __version__,
            "pid": os.getpid(),
            "started_at": self.started_at,
            "connection": {
                "state": client.state.name,
                "since": self.connection_since,
                "retry_in_s": client.retry_in(),
                "last_error": client.last_failure,
                "http_version": client.http_version,
            },
            "player": {
                "state": self.engine.state.value,
                "current": self._audio_item(),
                "queue": [
                    {"token": e.token or "", "title": e.title, "artist": e.artist}
                    for e in self.engine.upcoming()
                ],
                "volume": self.engine.volume,
                "muted": self.engine.muted,
                "repeat": repeat_mode(self.engine.repeat).value,
            },
            "outbox": self._outbox(),
            "errors": [self._marked(error) for error in self.errors()],
        }
        if self.last_failure is not None:
            failure: FailureInfo = {**self.last_failure}
            failure["past"] = self.last_start > failure["at"]
            doc["player"]["last_failure"] = failure
        if self.voice is not None:
            doc["voice"] = cast(VoiceInfo, self.voice())
        if self._music_has_the_speaker():
            self._show_music(doc)
        library = self.music.library
        doc["library"] = {
            "paths": len(library.paths),
            "tracks": library.song_count,
            "playlists": library.playlist_count,
            "scanning": library.scanning,
        }
        return doc

    def _outbox(self) -> OutboxInfo:
        info: OutboxInfo = {"pending": self.sender.pending}
        if self.outbox is not None:
            info["disk"] = self.outbox.disk
            info["in_memory"] = self.outbox.in_memory
        return info

    def _audio_item(self) -> CurrentItem | None:
        state = self.engine.status()
        current = self.engine.current_entry()
        if current is None or state.stream is None:
            return None
        entry, token = current
        item: CurrentItem = {
            "token": token or "",
            "title": entry.title,
            "artist": entry.artist,
            "position_ms": state.offset_ms,
            "duration_ms": state.total_ms,
            "source": "AudioPlayer",
        }
        meta = self.template_runtime.metadata(item["token"])
        if meta is not None:
            for key, value in meta.fields().items():
                if value is not None:
                    item[key] = value  # type: ignore[literal-required]
        return item

    def _marked(self, error: ErrorInfo) -> ErrorInfo:
        """The error, marked past when its part recovered after it."""
        at, source = error["at"], error["source"]
        if source.startswith(("cic", "protocol")):
            state = self.client.state.name
            past = state == "CONNECTED" and self.connection_since > at
        elif source.startswith("player"):
            past = self.last_start > at
        else:
            past = False
        return {**error, "past": past}

    def music_item(self) -> CurrentItem | None:
        """The music app's song, from the library's tags."""
        song = self.music.current()
        if song is None:
            return None
        return {
            "token": self.music.current_token(),
            "title": song.title,
            "artist": song.artist_text,
            "position_ms": self.music.play_time_ms(),
            "duration_ms": self.music.duration_ms(),
            "source": "MediaPlayer",
            "album": song.album,
            "art_url": song.art,
            "lyrics": song.lyrics,
            "provider": "library",
        }

    def _music_has_the_speaker(self) -> bool:
        owner = self.output.owner
        return self.music.active or (owner is not None and owner.name == "MediaPlayer")

    def _show_music(self, doc: StatusDocument) -> None:
        player, music = doc["player"], self.music
        player["state"] = music.activity
        player["current"] = self.music_item()
        player["queue"] = []
        player["repeat"] = music.engine.repeat.value
        player["shuffle"] = music.engine.shuffle
