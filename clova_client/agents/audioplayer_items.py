"""AudioPlayer's wire shapes, turned into the engine's neutral items and back.

A Play becomes a ``PlayItem`` (its stream echoed as given, its Play saved verbatim); a
StreamDeliver is merged into the stream the item shows (``protocol.audioplayer.merge_stream``,
see docs/ARCHITECTURE.md, Decisions) and becomes a new item; a saved Play becomes an item again
after a restart. ``AudioPlayerPlays`` hands the directives' payloads to an engine this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import ValidationError

from ..player.engine import PlayerEngine
from ..player.item import Enqueue, PlayItem, Redeliver
from ..player.progress import ProgressPlan
from ..protocol.audioplayer import (
    AudioStreamInfo,
    ClearBehavior,
    ClearQueuePayload,
    PlayPayload,
    StreamDeliverPayload,
    merge_stream,
)
from ..protocol.base import JsonObject
from ..protocol.items import NO_ATTACHMENTS, attachment_of


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _item(
    audio_item_id: str,
    stream: AudioStreamInfo,
    raw: JsonObject,
    attachments: Mapping[str, bytes],
    *,
    title: str | None = None,
    artist: str | None = None,
    saved: JsonObject | None = None,
) -> PlayItem:
    url = stream.url or ""
    data, problem = None, None
    if not url:
        problem = "stream has no url"
    elif url.startswith("cid:"):
        data = attachment_of(attachments, url)
        problem = None if data is not None else "no attachment for this cid: url"
    report = stream.progress_report
    plan = None
    if report is not None:
        plan = ProgressPlan(
            report.progress_report_delay_in_milliseconds,
            report.progress_report_interval_in_milliseconds,
            report.progress_report_position_in_milliseconds,
        )
    return PlayItem(
        audio_item_id,
        token=_text(raw.get("token")),
        url=url,
        data=data,
        problem=problem,
        needs_stream=stream.needs_stream_request,
        start_ms=stream.begin_at_ms,
        duration_ms=stream.duration_in_milliseconds,
        progress=plan,
        title=title,
        artist=artist,
        stream=raw,
        saved=saved or {},
        attachments=attachments,
    )


def item_of(play: PlayPayload, attachments: Mapping[str, bytes] = NO_ATTACHMENTS) -> PlayItem:
    """The item a Play asks for (its ``playBehavior`` is ``enqueue_of``)."""
    audio = play.audio_item
    saved = play.to_json()
    saved["audioItem"] = audio.raw  # the Play as received, custom fields included
    return _item(
        audio.audio_item_id,
        audio.stream,
        audio.stream.raw,
        MappingProxyType(dict(attachments)),
        title=_text(audio.raw.get("title")),
        artist=_text(audio.raw.get("artist")),
        saved=saved,
    )


def enqueue_of(play: PlayPayload) -> Enqueue:
    return Enqueue(play.play_behavior.value)


def item_of_saved(saved: JsonObject) -> PlayItem:
    """The item of a Play a snapshot kept; ValueError when it is not a Play."""
    return item_of(PlayPayload.model_validate(saved))


def delivered(deliver: JsonObject) -> Redeliver:
    """What a StreamDeliver's stream makes of an item (see ``Redeliver``)."""

    def redeliver(shown: JsonObject, queued: PlayItem) -> PlayItem:
        merged = merge_stream(shown, deliver)
        try:
            info = AudioStreamInfo.model_validate(merged)
        except ValidationError as exc:
            problem = f"StreamDeliver stream is invalid ({exc.error_count()} errors)"
            raise ValueError(problem) from exc
        return _item(
            queued.key,
            info,
            merged,
            queued.attachments,
            title=queued.title,
            artist=queued.artist,
            saved=queued.saved,
        )

    return redeliver


class AudioPlayerPlays:
    """Play, ClearQueue and StreamDeliver payloads, handed to ``engine`` as items."""

    def __init__(self, engine: PlayerEngine) -> None:
        self.engine = engine

    async def play(
        self,
        payload: PlayPayload,
        *,
        dialog_request_id: str | None = None,
        attachments: Mapping[str, bytes] = NO_ATTACHMENTS,
    ) -> None:
        """``dialog_request_id``: the Play's; no event of the item echoes it (the newer spec),
        so the item does not keep it."""
        await self.engine.play(item_of(payload, attachments), enqueue_of(payload))

    async def clear_queue(self, payload: ClearQueuePayload) -> None:
        await self.engine.clear_queue(stop=payload.clear_behavior is ClearBehavior.CLEAR_ALL)

    async def stream_deliver(self, payload: StreamDeliverPayload) -> None:
        await self.engine.stream_deliver(payload.audio_item_id, delivered(payload.stream.raw))
