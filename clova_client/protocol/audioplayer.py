"""AudioPlayer namespace: Play, ClearQueue, StreamDeliver, the PlaybackState context and events."""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .base import DEFERRED, InModel, JsonObject, OutModel, context_item

NAMESPACE = "AudioPlayer"


class PlayBehavior(StrEnum):
    REPLACE_ALL = "REPLACE_ALL"
    ENQUEUE = "ENQUEUE"
    REPLACE_ENQUEUED = "REPLACE_ENQUEUED"


class ClearBehavior(StrEnum):
    CLEAR_ALL = "CLEAR_ALL"
    CLEAR_ENQUEUED = "CLEAR_ENQUEUED"


class PlayerActivity(StrEnum):
    IDLE = "IDLE"
    PLAYING = "PLAYING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"


class RepeatMode(StrEnum):
    NONE = "NONE"
    REPEAT_ONE = "REPEAT_ONE"


class ProgressReport(InModel):
    progress_report_delay_in_milliseconds: int | None = None
    progress_report_interval_in_milliseconds: int | None = None
    progress_report_position_in_milliseconds: int | None = None

    @field_validator("*")
    @classmethod
    def _not_negative(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise PydanticCustomError("negative", "must not be negative")
        return v


class RawKeepingModel(InModel):
    """A model that also keeps the exact JSON object it was built from, to echo it back."""

    _raw: JsonObject = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            model._raw = copy.deepcopy(data)
        elif isinstance(data, RawKeepingModel):
            model._raw = copy.deepcopy(data._raw)
        return model

    @property
    def raw(self) -> JsonObject:
        """A copy of the object exactly as received, custom fields and nulls included."""
        return copy.deepcopy(self._raw) if self._raw else self.to_json()


def _text_or_none(v: Any) -> Any:
    """An undocumented convenience field: a provider may use the name for anything else."""
    return v if isinstance(v, str) else None


class AudioStreamInfo(RawKeepingModel):
    """AudioStreamInfoObject: where and how to play, plus provider fields echoed as received."""

    begin_at_in_milliseconds: int | None = Field(default=None, ge=0)
    duration_in_milliseconds: int | None = Field(default=None, ge=0)
    format: str | None = None
    custom_data: Any = None
    progress_report: ProgressReport | None = None
    token: str | None = None
    url: str | None = None
    url_playable: bool | None = None

    _format_is_custom = field_validator("format", mode="before")(_text_or_none)

    @property
    def begin_at_ms(self) -> int:
        return self.begin_at_in_milliseconds or 0

    @property
    def needs_stream_request(self) -> bool:
        return self.url_playable is False


class Source(InModel):
    name: str | None = None
    logo_url: str | None = None


class AudioItem(RawKeepingModel):
    audio_item_id: str = Field(min_length=1)
    stream: AudioStreamInfo
    type: str | None = None
    title: str | None = None
    artist: Any = None
    album: Any = None
    art_image_url: str | None = None

    _custom_text = field_validator("title", "art_image_url", mode="before")(_text_or_none)

    @field_validator("stream")
    @classmethod
    def _stream_is_usable(cls, stream: AudioStreamInfo) -> AudioStreamInfo:
        # "missing_field" errors are reported at stream.<field> (see registry.field_errors)
        if stream.url_playable is False and not stream.token:
            raise PydanticCustomError(
                "missing_field", "field required when urlPlayable is false", {"field": "token"}
            )
        if stream.url_playable is not False and not stream.url:
            raise PydanticCustomError(
                "missing_field", "field required unless urlPlayable is false", {"field": "url"}
            )
        return stream


class PlayPayload(InModel):
    audio_item: AudioItem
    play_behavior: PlayBehavior
    source: Source | None = None


class ClearQueuePayload(InModel):
    clear_behavior: ClearBehavior


class StreamDeliverPayload(InModel):
    """StreamDeliver; the stream arrives as ``stream`` (examples) or ``audioStream`` (tables)."""

    audio_item_id: str = Field(min_length=1)
    stream: AudioStreamInfo = Field(validation_alias=AliasChoices("stream", "audioStream"))


class EmptyPayload(InModel):
    """A payload the spec documents as empty (unknown fields are still kept)."""


class StreamRequestedPayload(OutModel):
    audio_item_id: str
    audio_stream: JsonObject


class PlaybackStatePayload(InModel):
    """The AudioPlayer.PlaybackState context payload, read leniently (errata accepted)."""

    model_config = DEFERRED

    offset_in_milliseconds: int | None = None
    total_in_milliseconds: int | None = Field(
        default=None,
        validation_alias=AliasChoices("totalInMilliseconds", "totalInmillisecodns"),
    )
    player_activity: PlayerActivity
    stream: AudioStreamInfo | None = None
    repeat_mode: RepeatMode | None = None

    @field_validator("player_activity", mode="before")
    @classmethod
    def _pause_erratum(cls, v: Any) -> Any:
        return "PAUSED" if v == "PAUSE" else v


class PlaybackEventPayload(OutModel):
    """The payload of the Play* and ProgressReport* events (and PlaybackQueueCleared): the
    item's token and the offset the event is about, as the Clova guide's examples show."""

    token: str | None = None
    offset_in_milliseconds: int | None = None


class PlaybackEventIn(InModel):
    """An AudioPlayer event payload as a server reads it: ``{}`` (the older AudioPlayer file)
    or ``token`` and ``offsetInMilliseconds`` (the guide's examples)."""

    model_config = DEFERRED

    token: str | None = None
    offset_in_milliseconds: int | None = Field(default=None, ge=0)


class ReportPlaybackStateIn(PlaybackStatePayload):
    """ReportPlaybackState's payload as a server reads it: the PlaybackState fields and the
    item's ``token`` (the guide), or ``{}`` (the older AudioPlayer file)."""

    player_activity: PlayerActivity | None = None  # type: ignore[assignment]
    offset_in_milliseconds: int | None = Field(default=None, ge=0)
    token: str | None = None


class PlaybackState(BaseModel):
    """What the client reports as AudioPlayer.PlaybackState (built by the player, never parsed)."""

    player_activity: PlayerActivity
    offset_ms: int | None = None
    total_ms: int | None = None
    stream: JsonObject | None = None
    repeat_mode: RepeatMode | None = None

    def payload(self) -> JsonObject:
        out: JsonObject = {}
        if self.player_activity is not PlayerActivity.IDLE or self.stream is not None:
            if self.offset_ms is not None:
                out["offsetInMilliseconds"] = self.offset_ms
            if self.total_ms is not None:
                out["totalInMilliseconds"] = self.total_ms
        out["playerActivity"] = self.player_activity.value
        if self.stream is not None:
            out["stream"] = copy.deepcopy(self.stream)
        if self.repeat_mode is not None:
            out["repeatMode"] = self.repeat_mode.value
        return out

    def context(self) -> JsonObject:
        return context_item(NAMESPACE, "PlaybackState", self.payload())

    def report_payload(self, token: str | None) -> JsonObject:
        """ReportPlaybackState's payload: the PlaybackState fields, and the item's token while
        one is shown (the guide's example)."""
        out = self.payload()
        if token and self.player_activity is not PlayerActivity.IDLE:
            out["token"] = token
        return out


def merge_stream(play_stream: JsonObject, deliver_stream: JsonObject) -> JsonObject:
    """Merge a StreamDeliver stream into a Play stream (spec README rule), returning a new dict.

    A field only in Play is kept; a field only in StreamDeliver, or null in Play, is added; a
    field in both takes StreamDeliver's value. Objects (progressReport) merge field by field. A
    null in StreamDeliver carries no value and never erases one from Play. Neither input changes.
    """
    merged = copy.deepcopy(play_stream)
    for key, new in deliver_stream.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            merged[key] = merge_stream(old, new)
        elif new is not None or key not in merged:
            merged[key] = copy.deepcopy(new)
    return merged


DIRECTIVE_PAYLOADS: dict[str, type[InModel]] = {
    "Play": PlayPayload,
    "ClearQueue": ClearQueuePayload,
    "StreamDeliver": StreamDeliverPayload,
    "ExpectReportPlaybackState": EmptyPayload,
}

EVENT_NAMES = (
    "PlayStarted",
    "PlayPaused",
    "PlayResumed",
    "PlayStopped",
    "PlayFinished",
    "ProgressReportDelayPassed",
    "ProgressReportIntervalPassed",
    "ProgressReportPositionPassed",
    "StreamRequested",
    "PlaybackQueueCleared",
    "ReportPlaybackState",
)
