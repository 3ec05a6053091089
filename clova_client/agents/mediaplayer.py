"""NUGU MediaPlayer directives -> the music app (the owner's library, ``library.music``).

Every directive is answered with exactly one result event, ``<Name>Succeeded``, ``<Name>Failed``
(with an ``errorCode``) or, for Play, ``PlaySuspended`` (with an ``issueCode``). The result
echoes ``playServiceId`` and ``token`` exactly as they came (PlaySuspended also ``data``) and
carries the device context, MediaPlayer.PlaybackState included. See docs/MEDIAPLAYER.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from ..library.music import MusicApp, Selection
from ..library.select import DISABLE_ALL, Finder, Found, query_of, without_missing
from ..player.queue import QueueRepeat
from ..protocol import Directive, JsonObject
from ..protocol.audioplayer import PlayerActivity
from ..protocol.mediaplayer import (
    NAMESPACE,
    VERSION,
    Action,
    Direction,
    Info,
    Like,
    MediaPlayPayload,
    MovePayload,
    MoveTarget,
    PlaylistRef,
    SearchPayload,
    Shuffle,
    StepPayload,
    TogglePayload,
    TokenPayload,
)
from .outbound import EventOut
from .router import Attachments, Router

log = structlog.get_logger(__name__)

Result = tuple[str, JsonObject]
"""(``Succeeded`` / ``Failed`` / ``Suspended``, the payload fields besides the echoed ones)."""

NO_TARGET = "noTargetSong"
APP_ERROR = "appInternalServerError"
REPEAT_MESSAGES = {
    QueueRepeat.ONE: "repeatSongOn",
    QueueRepeat.ALL: "repeatAllOn",
    QueueRepeat.NONE: "repeatOff",
}


def ok(**fields: Any) -> Result:
    return "Succeeded", fields


def failed(code: str) -> Result:
    return "Failed", {"errorCode": code}


class MediaPlayerAgent:
    def __init__(
        self,
        app: MusicApp,
        out: EventOut,
    ) -> None:
        self.app = app
        self._finder = Finder(app.library)
        self._out = out
        self._searched: Selection | None = None
        """What the last Search found, if no Play came since: a Play without a song plays it."""
        self._handlers: dict[str, Callable[[Any], Awaitable[Result]]] = {
            "Play": self.play,
            "Stop": self.stop,
            "Search": self.search,
            "Previous": self.previous,
            "Next": self.next,
            "Move": self.move,
            "Pause": self.pause,
            "Resume": self.resume,
            "Rewind": self.rewind,
            "Toggle": self.toggle,
            "GetInfo": self.get_info,
        }

    def register(self, router: Router) -> None:
        for name in self._handlers:
            router.register(NAMESPACE, name, self._handle)

    async def _handle(self, directive: Directive[Any], attachments: Attachments) -> None:
        name = directive.header.name
        try:
            outcome, fields = await self._handlers[name](directive.payload)
        except Exception:
            log.exception("mediaplayer.failed", directive=directive.full_name)
            outcome, fields = failed(APP_ERROR)
        raw = directive.payload.to_json()
        echoed = {k: raw[k] for k in ("playServiceId", "token") if raw.get(k) is not None}
        self._out.send(
            NAMESPACE,
            f"{name}{outcome}",
            {**echoed, **{k: v for k, v in fields.items() if v is not None}},
            dialog_request_id=directive.header.dialog_request_id,
            version=VERSION,
            log_fields={
                "code": fields.get("errorCode") or fields.get("issueCode"),
                "activity": self.app.activity,
            },
        )

    # --- finding and playing --------------------------------------------------------------

    async def play(self, p: MediaPlayPayload) -> Result:
        if p.toggle is not None:
            if p.toggle.repeat is not None:
                self.app.set_repeat(QueueRepeat(p.toggle.repeat.value))
            if p.toggle.shuffle is not None:
                self.app.set_shuffle(p.toggle.shuffle is Shuffle.ON)
        found = await self._wanted(p)
        if found.selection is None:
            return failed(found.error or "searchFailed")
        tracks, missing = without_missing(list(found.selection.songs))
        if not tracks:
            return failed(DISABLE_ALL)
        selection = dataclasses.replace(found.selection, songs=tracks)
        issue = found.issue or missing
        if issue is not None and p.action is Action.CHECK:
            listed = selection.playlist
            playlist = PlaylistRef(name=listed.name, number=str(listed.number)) if listed else None
            return "Suspended", {
                "song": tracks[0].nugu_song(selection.category),
                "playlist": playlist.to_json() if playlist else None,
                "issueCode": issue,
                "data": p.data,
            }
        self._searched = None
        await self.app.play(selection)
        return ok()

    async def _wanted(self, p: MediaPlayPayload) -> Found:
        """The songs a Play asks for; without any criteria, what the last Search found."""
        query = query_of(p.song)
        category = ((p.song.category if p.song else None) or "NONE").upper()
        if query.empty and category == "NONE":
            if self._searched is not None:
                return Found(self._searched)
            return await self._finder.find(None, query, current=self.app.selection)
        return await self._finder.find(p.song, query, current=self.app.selection)

    async def search(self, p: SearchPayload) -> Result:
        query = query_of(p.song, p.asr_text)
        found = await self._finder.find(p.song, query, current=self.app.selection)
        if found.selection is None:
            return failed(found.error or "searchFailed")
        self._searched = found.selection
        return ok(message=str(len(found.selection.songs)))

    async def next(self, p: StepPayload) -> Result:
        return await self._step(p, forward=True)

    async def previous(self, p: StepPayload) -> Result:
        return await self._step(p, forward=False)

    async def _step(self, p: StepPayload, *, forward: bool) -> Result:
        if p.target is MoveTarget.PLAYLIST:
            return await self._step_playlist(forward)
        if self.app.current() is None:
            return failed(NO_TARGET)
        moved = await (self.app.next() if forward else self.app.previous())
        return ok() if moved else failed("noNextTrack" if forward else "noPreviousTrack")

    async def _step_playlist(self, forward: bool) -> Result:
        error = "noNextPlaylist" if forward else "noPreviousPlaylist"
        lists = await self.app.library.playlists()
        now = self.app.selection.playlist if self.app.selection else None
        at = next((i for i, p in enumerate(lists) if now and p.id == now.id), None)
        if at is None:
            order = lists if forward else lists[::-1]
        else:
            order = lists[at + 1 :] if forward else lists[:at][::-1]
        for playlist in order:  # the nearest one that has songs
            found = await self._finder.playlist(playlist)
            tracks = without_missing(list(found.selection.songs))[0] if found.selection else []
            if tracks:
                await self.app.play(Selection(tracks, playlist.name, "PLAYLIST", playlist))
                return ok()
        return failed(error)

    # --- controls -------------------------------------------------------------------------

    async def stop(self, p: TokenPayload) -> Result:
        await self.app.stop()
        return ok()

    async def pause(self, p: TokenPayload) -> Result:
        if self.app.activity == PlayerActivity.PAUSED:
            return ok()
        if self.app.activity != PlayerActivity.PLAYING or not await self.app.pause():
            return failed(NO_TARGET)
        return ok()

    async def resume(self, p: TokenPayload) -> Result:
        if self.app.activity == PlayerActivity.PLAYING:
            return ok()
        return ok() if await self.app.resume() else failed(NO_TARGET)

    async def rewind(self, p: TokenPayload) -> Result:
        if self.app.current() is None:
            return failed(NO_TARGET)
        return ok() if await self.app.replay() else failed(NO_TARGET)

    async def move(self, p: MovePayload) -> Result:
        delta = p.sec * 1000 * (1 if p.direction is Direction.FORWARD else -1)
        return ok() if await self.app.seek_by(delta) else failed(NO_TARGET)

    async def toggle(self, p: TogglePayload) -> Result:
        messages: list[str] = []
        if p.like is not None:
            track = self.app.current()
            if track is None:
                return failed(NO_TARGET)
            liking = p.like is Like.TRUE
            if not await self.app.library.set_like(track, liking):
                return failed("addLikeAlreadySong" if liking else "removeLikeNoSong")
            messages.append("addLikeSong" if liking else "removeLikeSong")
        if p.repeat is not None:
            repeat = QueueRepeat(p.repeat.value)
            self.app.set_repeat(repeat)
            messages.append(REPEAT_MESSAGES[repeat])
        if p.shuffle is not None:
            self.app.set_shuffle(p.shuffle is Shuffle.ON)
            messages.append("shuffleOn" if p.shuffle is Shuffle.ON else "shuffleOff")
        return ok(message=",".join(messages))

    async def get_info(self, p: TokenPayload) -> Result:
        track, song = self.app.current(), self.app.song()
        if track is None or song is None:
            return failed(NO_TARGET)
        selection = self.app.selection
        info = Info(
            song=song,
            issue_date=track.date,
            play_time=str(self.app.play_time_ms()),
            playlist_name=selection.name if selection else None,
        )
        return ok(info=info.to_json())
