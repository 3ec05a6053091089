"""TemplateRuntime: "now playing" metadata for AudioPlayer items.

When an AudioPlayer item starts (its PlayStarted goes out), the speaker asks for the item's
metadata with RequestPlayerInfo (its token, and the next ``AFTER`` items); the answer,
RenderPlayerInfo, names title, artist, album, album art, lyrics and provider per token. They are
kept (the last ``KEEP`` tokens) for ``clova-client status`` and logged as one "now playing" line
once the item that plays is described.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import structlog

from ..player.notices import Notice, NoticeKind
from ..protocol import Directive
from ..protocol.audioplayer import NAMESPACE as AUDIO_PLAYER
from ..protocol.template_runtime import (
    NAMESPACE,
    PlayableItem,
    Range,
    RenderPlayerInfoPayload,
    RequestPlayerInfoPayload,
)
from ..redact import redact_url
from .audioplayer_state import playback_state
from .context import AUDIO_PLAYER_STATE
from .outbound import EventOut
from .router import Attachments, Router, expect_payload

log = structlog.get_logger(__name__)

AFTER = 10
"""RequestPlayerInfo's ``range.after``: the items after the current one, as the guide shows."""
KEEP = 100


@dataclass(frozen=True, slots=True)
class NowPlaying:
    token: str
    title: str | None
    artist: str | None
    album: str | None
    art_url: str | None
    lyrics: str | None
    """The lyrics text, or their URL."""
    provider: str | None

    @classmethod
    def of(cls, item: PlayableItem, provider: str | None) -> NowPlaying:
        lyrics = next((ly.data or ly.url for ly in item.lyrics or [] if ly.data or ly.url), None)
        return cls(
            token=item.token or "",
            title=item.title_text,
            artist=item.title_sub_text1,
            album=item.title_sub_text2,
            art_url=item.art_image_url,
            lyrics=lyrics,
            provider=provider,
        )

    def fields(self) -> dict[str, Any]:
        """The status document's ``current`` fields this metadata fills in."""
        return {
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "art_url": self.art_url,
            "lyrics": self.lyrics,
            "provider": self.provider,
        }


class TemplateRuntimeAgent:
    def __init__(self, out: EventOut) -> None:
        self._out = out
        self._items: OrderedDict[str, NowPlaying] = OrderedDict()
        self.playing: str | None = None
        """The token of the AudioPlayer item that started last."""

    def register(self, router: Router) -> None:
        router.register(NAMESPACE, "RenderPlayerInfo", self.render)

    def metadata(self, token: str | None) -> NowPlaying | None:
        return self._items.get(token) if token else None

    def on_notice(self, notice: Notice) -> None:
        """The AudioPlayer engine's notices (subscribed after its reporter): an item that
        started asks for its metadata, after its PlayStarted."""
        if notice.kind is not NoticeKind.STARTED or notice.item is None:
            return
        token = notice.item.token
        if not token:
            return
        self.playing = token
        payload = RequestPlayerInfoPayload(token=token, range=Range(after=AFTER))
        state = playback_state(notice.status).context()  # as of the PlayStarted, not "now"
        self._out.send(NAMESPACE, "RequestPlayerInfo", payload, context={AUDIO_PLAYER_STATE: state})
        self._log(token)

    async def render(self, directive: Directive[Any], attachments: Attachments) -> None:
        payload = expect_payload(directive, RenderPlayerInfoPayload)
        provider = payload.provider.name if payload.provider else None
        for item in payload.playable_items:
            if item.token:
                self._items[item.token] = NowPlaying.of(item, provider)
                self._items.move_to_end(item.token)
        while len(self._items) > KEEP:
            self._items.popitem(last=False)
        log.info("player_info", items=len(payload.playable_items), provider=provider)
        if self.playing and payload.item_for(self.playing):
            self._log(self.playing)

    def _log(self, token: str) -> None:
        meta = self._items.get(token)
        if meta is None:
            return
        log.info(
            "now_playing",
            source=AUDIO_PLAYER,
            token=token,
            title=meta.title,
            artist=meta.artist,
            album=meta.album,
            provider=meta.provider,
            art=redact_url(meta.art_url) if meta.art_url else None,
        )
