"""Auto-responders: what a real extension would answer to StreamRequested, RequestPlayerInfo
and PlayFinished, and what CIC answers to a speaker's *CommandIssued."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from .messages import JsonObject, directive

ReplyVia = Literal["response", "downchannel"]
REPLY_VIA: tuple[ReplyVia, ...] = ("response", "downchannel")
WILDCARD = "*"
"""Table key used when no entry matches (optional)."""


def _lookup(table: Mapping[str, JsonObject], *keys: Any) -> JsonObject | None:
    for key in (*keys, WILDCARD):
        if isinstance(key, str) and key in table:
            return copy.deepcopy(table[key])
    return None


def _playback_stream(context: list[Any]) -> JsonObject:
    for item in context:
        header = item.get("header", {}) if isinstance(item, dict) else {}
        if header.get("namespace") == "AudioPlayer" and header.get("name") == "PlaybackState":
            payload = item.get("payload")
            stream = payload.get("stream") if isinstance(payload, dict) else None
            return stream if isinstance(stream, dict) else {}
    return {}


def _table(value: Any, name: str) -> dict[str, JsonObject]:
    """A ``{key: object}`` table from a control body; ValueError names the bad entry."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be an object {{key: object}}, got {value!r}")
    for key, entry in value.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{name}[{key!r}] must be an object, got {entry!r}")
    return {str(key): entry for key, entry in value.items()}


def _playlist(value: Any) -> list[JsonObject]:
    """Play payloads from a control body; ValueError names the bad item."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"playlist must be a list of Play payloads, got {value!r}")
    for i, play in enumerate(value):
        if not isinstance(play, dict):
            raise ValueError(f"playlist[{i}] must be an object (a Play payload), got {play!r}")
        item = play.get("audioItem", {})
        if not isinstance(item, dict):
            raise ValueError(f"playlist[{i}].audioItem must be an object, got {item!r}")
        if not isinstance(item.get("stream", {}), dict):
            raise ValueError(f"playlist[{i}].audioItem.stream must be an object")
    return list(value)


KEYS = (
    "stream_deliver",
    "player_info",
    "playlist",
    "playlist_loop",
    "reply_via",
    "buttons",
    "replace",
)
"""What a responders body may hold."""

BUTTON_EVENTS = {
    f"PlaybackController.{name}CommandIssued": name
    for name in ("Pause", "Resume", "Stop", "Next", "Previous")
}
PLAY_EVENT = "PlaybackController.PlayCommandIssued"
REPEAT_EVENT = "PlaybackController.SetRepeatModeCommandIssued"


@dataclass
class Responders:
    """Tables the mock answers from, like an extension would.

    ``stream_deliver``: audioItemId (or stream token) -> stream object for StreamDeliver.
    ``player_info``: RequestPlayerInfo token -> RenderPlayerInfo payload.
    ``playlist``: Play payloads; PlayFinished of item i answers with a Play of item i + 1.
    ``reply_via``: "response" (in the 200 answer to the event, like CIC) or "downchannel".
    ``buttons``: a speaker's button event (``PlaybackController.PauseCommandIssued`` ...) is
    answered with the matching PlaybackController directive, as CIC does (its ``source``
    becomes the directive's ``target``); PlayCommandIssued with a token by a Play of the
    ``playlist`` item of that stream token; SetRepeatModeCommandIssued by SetRepeatMode.
    """

    stream_deliver: dict[str, JsonObject] = field(default_factory=dict)
    player_info: dict[str, JsonObject] = field(default_factory=dict)
    playlist: list[JsonObject] = field(default_factory=list)
    playlist_loop: bool = False
    reply_via: ReplyVia = "response"
    buttons: bool = True
    _cursor: dict[str, int] = field(default_factory=dict)

    def update(self, data: Mapping[str, Any]) -> None:
        """Apply a control-API body; ``replace: true`` clears the tables first.

        Everything is checked before anything changes: a ValueError leaves the tables as they
        were (a bad entry would otherwise fail later, while answering an already recorded event).
        """
        if not isinstance(data, Mapping):
            raise ValueError("responders must be an object")
        unknown = sorted(str(key) for key in data if key not in KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} (known: {', '.join(KEYS)})")
        stream_deliver = _table(data.get("stream_deliver"), "stream_deliver")
        player_info = _table(data.get("player_info"), "player_info")
        playlist = _playlist(data["playlist"]) if "playlist" in data else None
        if "reply_via" in data and data["reply_via"] not in REPLY_VIA:
            raise ValueError(f"reply_via must be one of {', '.join(REPLY_VIA)}")
        if data.get("replace"):
            self.clear()
        self.stream_deliver.update(stream_deliver)
        self.player_info.update(player_info)
        if playlist is not None:
            self.playlist = playlist
            self._cursor.clear()
        if "playlist_loop" in data:
            self.playlist_loop = bool(data["playlist_loop"])
        if "reply_via" in data:
            self.reply_via = cast(ReplyVia, data["reply_via"])
        if "buttons" in data:
            self.buttons = bool(data["buttons"])

    def clear(self) -> None:
        self.stream_deliver.clear()
        self.player_info.clear()
        self.playlist.clear()
        self.playlist_loop = False
        self.reply_via = "response"
        self.buttons = True
        self._cursor.clear()

    def to_json(self) -> JsonObject:
        return {
            "stream_deliver": self.stream_deliver,
            "player_info": self.player_info,
            "playlist": self.playlist,
            "playlist_loop": self.playlist_loop,
            "reply_via": self.reply_via,
            "buttons": self.buttons,
        }

    def answer(
        self, device: str, name: str, message: JsonObject, *, dialog: str | None = None
    ) -> list[JsonObject]:
        """The directives an extension (or CIC) would send back for this event (maybe none);
        they carry the event's dialogRequestId, else ``dialog`` (the Expect it answers)."""
        event = message.get("event", {})
        header = event.get("header", {})
        payload = event.get("payload", {}) or {}
        dialog = header.get("dialogRequestId") or dialog
        if name == "AudioPlayer.StreamRequested":
            return self._stream_deliver(payload, dialog)
        if name == "TemplateRuntime.RequestPlayerInfo":
            info = _lookup(self.player_info, payload.get("token"))
            if info is None:
                return []
            return [
                directive("TemplateRuntime", "RenderPlayerInfo", info, dialog_request_id=dialog)
            ]
        if name == "AudioPlayer.PlayFinished":
            return self._next_play(device, message.get("context") or [], dialog)
        if self.buttons and name in BUTTON_EVENTS:
            source = payload.get("source")
            body = {"target": source} if isinstance(source, dict) else {}
            button = BUTTON_EVENTS[name]
            return [directive("PlaybackController", button, body, dialog_request_id=dialog)]
        if self.buttons and name == PLAY_EVENT:
            return self._play_token(device, payload.get("token"), dialog)
        if self.buttons and name == REPEAT_EVENT and payload.get("repeatMode"):
            body = {"repeatMode": payload["repeatMode"]}
            return [
                directive("PlaybackController", "SetRepeatMode", body, dialog_request_id=dialog)
            ]
        return []

    def _play_token(self, device: str, token: Any, dialog: str | None) -> list[JsonObject]:
        """PlayCommandIssued: a Play of the playlist item whose stream has ``token`` (nothing
        without a token or for one the playlist does not hold)."""
        if not isinstance(token, str):
            return []
        index = self._index_of({"token": token})
        if index is None:
            return []
        self._cursor[device] = index
        play = copy.deepcopy(self.playlist[index])
        play.setdefault("playBehavior", "REPLACE_ALL")
        return [directive("AudioPlayer", "Play", play, dialog_request_id=dialog)]

    def _stream_deliver(self, payload: JsonObject, dialog: str | None) -> list[JsonObject]:
        item_id = payload.get("audioItemId")
        requested = payload.get("audioStream") or {}
        token = requested.get("token") if isinstance(requested, dict) else None
        stream = _lookup(self.stream_deliver, item_id, token)
        if stream is None:
            return []
        body = {"audioItemId": item_id or token or "", "stream": stream}
        return [directive("AudioPlayer", "StreamDeliver", body, dialog_request_id=dialog)]

    def _index_of(self, stream: JsonObject) -> int | None:
        token = stream.get("token")
        url = stream.get("url")
        for i, play in enumerate(self.playlist):
            candidate = play.get("audioItem", {}).get("stream", {})
            if token and candidate.get("token") == token:
                return i
            if not token and url and candidate.get("url") == url:
                return i
        return None

    def _next_play(self, device: str, context: list[Any], dialog: str | None) -> list[JsonObject]:
        if not self.playlist:
            return []
        finished = self._index_of(_playback_stream(context))
        if finished is None:
            finished = self._cursor.get(device, -1)
        following = finished + 1
        if following >= len(self.playlist):
            if not self.playlist_loop:
                return []
            following = 0
        self._cursor[device] = following
        play = copy.deepcopy(self.playlist[following])
        play.setdefault("playBehavior", "REPLACE_ALL")
        return [directive("AudioPlayer", "Play", play, dialog_request_id=dialog)]
