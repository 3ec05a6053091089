"""NUGU MediaPlayer namespace: the 11 music-app directives, their result events, the context."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from .base import DEFERRED, InModel, JsonObject, OutModel

NAMESPACE = "MediaPlayer"
VERSION = "1.0"


class Action(StrEnum):
    CHECK = "CHECK"
    EXECUTE = "EXECUTE"


class MoveTarget(StrEnum):
    TRACK = "TRACK"
    PLAYLIST = "PLAYLIST"


class Direction(StrEnum):
    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"


class Repeat(StrEnum):
    ALL = "ALL"
    ONE = "ONE"
    NONE = "NONE"


class Shuffle(StrEnum):
    ON = "ON"
    OFF = "OFF"


class Like(StrEnum):
    TRUE = "TRUE"
    FALSE = "FALSE"


class Song(InModel):
    """The Song object; ``etc`` and unknown fields are kept as sent."""

    model_config = DEFERRED

    category: str | None = None
    theme: str | None = None
    genre: list[str] | None = None
    artist: list[str] | None = None
    album: str | None = None
    title: str | None = None
    duration: str | None = None
    issue_date: str | None = None
    etc: dict[str, Any] | None = None

    @field_validator("genre", "artist", mode="before")
    @classmethod
    def _one_as_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class ToggleState(InModel):
    model_config = DEFERRED

    repeat: Repeat | None = None
    shuffle: Shuffle | None = None


class ServicePayload(InModel):
    model_config = DEFERRED

    play_service_id: str | None = None


class TokenPayload(ServicePayload):
    token: str = Field(min_length=1)


class MediaPlayPayload(TokenPayload):
    action: Action = Action.CHECK
    asr_text: str | None = None
    song: Song | None = None
    toggle: ToggleState | None = None
    data: dict[str, Any] | None = None


class SearchPayload(TokenPayload):
    asr_text: str | None = None
    song: Song | None = None


class StepPayload(TokenPayload):
    """Previous / Next."""

    action: Action = Action.CHECK
    target: MoveTarget = MoveTarget.TRACK
    data: dict[str, Any] | None = None


class MovePayload(TokenPayload):
    direction: Direction
    sec: int = Field(ge=0)  # LONG in the example, string in the table: both accepted


class TogglePayload(TokenPayload):
    repeat: Repeat | None = None
    like: Like | None = None
    shuffle: Shuffle | None = None


DIRECTIVE_PAYLOADS: dict[str, type[InModel]] = {
    "Play": MediaPlayPayload,
    "Stop": ServicePayload,
    "Search": SearchPayload,
    "Previous": StepPayload,
    "Next": StepPayload,
    "Move": MovePayload,
    "Pause": TokenPayload,
    "Resume": TokenPayload,
    "Rewind": TokenPayload,
    "Toggle": TogglePayload,
    "GetInfo": TokenPayload,
}

# --- events (client -> server) --------------------------------------------------------------


class ResultPayload(OutModel):
    model_config = DEFERRED

    play_service_id: str | None = None
    token: str | None = None


class SucceededPayload(ResultPayload):
    message: str | None = None


class FailedPayload(ResultPayload):
    error_code: str | None = None


class PlaylistRef(OutModel):
    model_config = DEFERRED

    name: str | None = None
    number: str | None = None


class SuspendedPayload(ResultPayload):
    song: JsonObject | None = None
    target: MoveTarget | None = None
    playlist: PlaylistRef | None = None
    issue_code: str | None = None
    data: JsonObject | None = None


class Info(OutModel):
    model_config = DEFERRED

    song: JsonObject | None = None
    issue_date: str | None = None
    play_time: str | None = None
    playlist_name: str | None = None


class GetInfoSucceededPayload(ResultPayload):
    info: Info


SUSPENDABLE = ("Play", "Previous", "Next")
EVENT_NAMES = tuple(
    [f"{d}Succeeded" for d in DIRECTIVE_PAYLOADS]
    + [f"{d}Failed" for d in DIRECTIVE_PAYLOADS]
    + [f"{d}Suspended" for d in SUSPENDABLE]
)

# Errata: some NUGU examples carry a wrong namespace or name. (namespace, name) -> real name.
EVENT_NAME_ERRATA: dict[tuple[str, str], str] = {
    ("PreviousFailed", "PlayFailed"): "PreviousFailed",
    ("NextFailed", "PlayFailed"): "NextFailed",
    (NAMESPACE, "ResponseInfo"): "GetInfoFailed",
}


class EventIn(InModel):
    """A MediaPlayer result event as a server (the mock) reads it."""

    model_config = DEFERRED

    play_service_id: str | None = None
    token: str | None = None


# --- context ---------------------------------------------------------------------------------


class User(OutModel):
    is_log_in: str = "TRUE"
    has_voucher: str = "TRUE"


class Playlist(OutModel):
    type: str | None = None
    name: str | None = None
    number: str | None = None
    length: str | None = None
    current_song_order: str | None = None


class Toggle(OutModel):
    repeat: Repeat | None = None
    shuffle: Shuffle | None = None


class MediaPlayerContext(OutModel):
    """The MediaPlayer context object (``{"MediaPlayer": {...}}`` in the NUGU document)."""

    version: str = VERSION
    app_status: str = "NORMAL"
    player_activity: str = "STOPPED"
    user: User | None = None
    current_song: JsonObject | None = None
    playlist: Playlist | None = None
    toggle: Toggle | None = None

    def context(self) -> JsonObject:
        return {
            "header": {"namespace": NAMESPACE, "name": "PlaybackState"},
            "payload": self.to_json(),
        }


class MediaPlayerContextIn(InModel):
    """The MediaPlayer context as read back (the spec's own example, or the mock)."""

    model_config = DEFERRED

    version: str | None = None
    app_status: str
    player_activity: str
    user: dict[str, Any] | None = None
    current_song: Song | None = None
    playlist: dict[str, Any] | None = None
    toggle: ToggleState | None = None
