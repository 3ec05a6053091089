"""What the library hands out: songs, playlists, a search query, a scan report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
SEPARATOR = "\n"
"""Joins several artists (or genres) in one column; the FTS tokenizer splits on it."""


class ScanCancelled(Exception):
    """The library is closing."""


@dataclass(frozen=True, slots=True)
class Tags:
    """What a file's tags say."""

    title: str
    artists: tuple[str, ...] = ()
    album: str | None = None
    genres: tuple[str, ...] = ()
    date: str | None = None
    """ISO 8601 (``2020``, ``2020-06``, ``2020-06-01``), when the tag holds one."""
    track_no: int | None = None
    disc_no: int | None = None
    duration_ms: int | None = None
    lyrics: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LibrarySong(Tags):
    """A song in the library: its tags, where it is, and its cover."""

    id: int
    path: str
    art: str | None = None
    """A ``file://`` URI of the cover image next to the file (cover.jpg, folder.jpg, ...)."""

    @property
    def artist_text(self) -> str | None:
        return ", ".join(self.artists) or None

    def nugu_song(self, category: str = "NONE") -> JsonObject:
        """The NUGU Song object (strings; ``duration`` in ms)."""
        song: JsonObject = {"category": category, "title": self.title}
        if self.artists:
            song["artist"] = list(self.artists)
        if self.album:
            song["album"] = self.album
        if self.genres:
            song["genre"] = list(self.genres)
        if self.duration_ms is not None:
            song["duration"] = str(self.duration_ms)
        if self.date:
            song["issueDate"] = self.date
        return song


@dataclass(frozen=True, slots=True)
class LibraryPlaylist:
    id: int
    name: str
    path: str
    number: int
    """1-based position in the library's playlists, sorted by name."""
    length: int
    """Entries that are songs of the library."""


@dataclass(frozen=True, slots=True)
class ScanReport:
    songs: int
    playlists: int
    added: int
    updated: int
    removed: int
    seconds: float


_WORD = re.compile(r"\w+")


def words(text: str | None) -> list[str]:
    return _WORD.findall((text or "").casefold())


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"*'


def _column(column: str, text: str) -> str | None:
    found = words(text)
    if not found:
        return None
    return f"{column} : (" + " AND ".join(_phrase(w) for w in found) + ")"


def _any(column: str, values: tuple[str, ...]) -> str | None:
    parts = [p for p in (_column(column, v) for v in values) if p]
    return "(" + " OR ".join(parts) + ")" if parts else None


@dataclass(frozen=True, slots=True)
class Query:
    """A search: every given field must match (word prefixes, any of several artists or
    genres). ``text`` (what the user said) is used only when no field is given: any of its
    words may match, the best matches first."""

    title: str | None = None
    artists: tuple[str, ...] = ()
    album: str | None = None
    genres: tuple[str, ...] = ()
    text: str | None = None

    @property
    def fielded(self) -> bool:
        return any(words(v) for v in (self.title, self.album, *self.artists, *self.genres))

    @property
    def empty(self) -> bool:
        return not self.fielded and not words(self.text)

    def match(self) -> str | None:
        """The FTS5 MATCH expression (None: no condition)."""
        if self.fielded:
            parts = [
                _column("title", self.title or ""),
                _any("artist", self.artists),
                _column("album", self.album or ""),
                _any("genre", self.genres),
            ]
            return " AND ".join(p for p in parts if p)
        found = words(self.text)
        return " OR ".join(_phrase(w) for w in found) if found else None
