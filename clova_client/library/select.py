"""From a NUGU Song (what the user asked for) to the songs of the library that answer it.

``category`` picks where the songs come from (everything, liked songs, play history, a
playlist, the list that plays now); the Song's title / artist / album / genre fields narrow
that down. A miss is an error code of the MediaPlayer interface; RECENT_PLAYED and FAVORITE
without any history fall back to the whole library with an ``issue`` (PlaySuspended's
``issueCode``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..protocol.mediaplayer import Song
from .index import SongSource
from .library import Library
from .models import LibraryPlaylist, LibrarySong, Query
from .music import MAX_PLAYLIST, Selection

SOURCES: dict[str, SongSource] = {
    "LIKE_SONG": "liked",
    "RECENT_PLAYED": "recent",
    "FAVORITE": "most_played",
    "POPULAR": "most_played",
    "CHART": "most_played",
    "NEW": "newest",
}
EMPTY = {
    "LIKE_SONG": "noLikeSong",
    "LIKE_ALBUM": "noLikeAlbum",
    "LIKE_ARTIST": "noLikeArtist",
    "LIKE_THEME": "noLikeTheme",
    "NOWPLAYING": "noNowlist",
    "PLAYLIST": "noPlaylist",
}
NO_HISTORY = {"RECENT_PLAYED": "noRecentPlayed", "FAVORITE": "noFavoritePlayed"}
SEARCH_FAILED = "searchFailed"
DISABLE_ALL = "disableAll"
LIKED_GROUPS = 10
"""LIKE_ALBUM / LIKE_ARTIST: songs of at most this many albums or artists of liked songs."""


@dataclass(frozen=True)
class Found:
    selection: Selection | None = None
    error: str | None = None
    issue: str | None = None
    """A PlaySuspended ``issueCode``: plays, but the user should hear why it is different."""


def query_of(song: Song | None, text: str | None = None) -> Query:
    if song is None:
        return Query(text=text)
    return Query(
        title=song.title,
        artists=tuple(song.artist or ()),
        album=song.album,
        genres=tuple(song.genre or ()),
        text=text,
    )


def describe(song: Song | None, query: Query) -> str:
    """A short name for the list a search made (the context's ``playlist.name``)."""
    parts = [*query.artists, query.album or "", query.title or "", *query.genres]
    words = " ".join(p for p in parts if p).strip()
    category = (song.category or "NONE") if song else "NONE"
    return words or query.text or (category if category != "NONE" else "library")


def playlist_name(song: Song | None) -> str | None:
    if song is None:
        return None
    extra = song.etc or {}
    for value in (extra.get("playlist"), extra.get("playlistName"), song.theme, song.title):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def without_missing(songs: list[LibrarySong]) -> tuple[list[LibrarySong], str | None]:
    """Drop songs whose file is gone; ``disable`` when the first one was (it is skipped)."""
    kept = [t for t in songs if os.path.isfile(t.path)]
    issue = "disable" if songs and (not kept or kept[0] is not songs[0]) else None
    return kept, issue


class Finder:
    def __init__(self, library: Library) -> None:
        self.library = library

    async def find(self, song: Song | None, query: Query, *, current: Selection | None) -> Found:
        category = ((song.category if song else None) or "NONE").upper()
        narrowed = query if query.fielded else None
        if category == "NOWPLAYING":
            return _found(current, "noNowlist")
        if category == "PLAYLIST":
            return await self._playlist(playlist_name(song))
        if category == "LIKE_THEME":
            return Found(error="noLikeTheme")
        if category in ("LIKE_ALBUM", "LIKE_ARTIST"):
            return await self._liked_groups(category, narrowed)
        source: SongSource = SOURCES.get(category, "all")
        songs = await self.library.select(source, narrowed or _free(query), MAX_PLAYLIST)
        if songs:
            return Found(Selection(songs, describe(song, query), category))
        if category in NO_HISTORY and not await self.library.has_history():
            alternative = await self.library.select("all", narrowed, MAX_PLAYLIST)
            issue = NO_HISTORY[category]
            return _found(Selection(alternative, "library", category), SEARCH_FAILED, issue)
        if category in EMPTY and (narrowed is None or not await self.library.has_likes()):
            return Found(error=EMPTY[category])
        return Found(error=SEARCH_FAILED)

    async def _playlist(self, name: str | None) -> Found:
        lists = await self.library.playlists()
        if not lists:
            return Found(error="noPlaylist")
        chosen: LibraryPlaylist | None = lists[0]
        if name is not None:
            folded = name.casefold()
            chosen = next((p for p in lists if p.name.casefold() == folded), None) or next(
                (p for p in lists if folded in p.name.casefold()), None
            )
        if chosen is None:
            return Found(error="noPlaylist")
        return await self.playlist(chosen)

    async def playlist(self, playlist: LibraryPlaylist) -> Found:
        songs = await self.library.playlist_songs(playlist, MAX_PLAYLIST)
        selection = Selection(songs, playlist.name, "PLAYLIST", playlist)
        return _found(selection, "noPlaylist")

    async def _liked_groups(self, category: str, narrowed: Query | None) -> Found:
        liked = await self.library.select("liked", None, MAX_PLAYLIST)
        if not liked:
            return Found(error=EMPTY[category])
        by_album = category == "LIKE_ALBUM"
        groups: list[str] = []
        for song in liked:
            for group in [song.album] if by_album else song.artists:
                if group and group not in groups:
                    groups.append(group)
        songs: list[LibrarySong] = []
        for group in groups[:LIKED_GROUPS]:
            query = Query(album=group) if by_album else Query(artists=(group,))
            if narrowed is not None:
                query = Query(
                    title=narrowed.title,
                    artists=narrowed.artists or query.artists,
                    album=narrowed.album or query.album,
                    genres=narrowed.genres,
                )
            songs += [t for t in await self.library.search(query, MAX_PLAYLIST) if t not in songs]
        name = "liked albums" if by_album else "liked artists"
        return _found(Selection(songs[:MAX_PLAYLIST], name, category), SEARCH_FAILED)


def _free(query: Query) -> Query | None:
    """Free text (asrText) searches only when no field was given and there is text."""
    return query if not query.fielded and not query.empty else None


def _found(selection: Selection | None, error: str, issue: str | None = None) -> Found:
    if selection is None or not selection.songs:
        return Found(error=error)
    return Found(selection, issue=issue)
