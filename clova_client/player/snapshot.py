"""The player's state as plain JSON, for the status display and to restore after a restart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clova_client.protocol.audioplayer import PlayerActivity, PlayPayload
from clova_client.protocol.base import JsonObject

from .attempt import Attempt
from .queue import PlayQueue, QueueEntry, QueueRepeat


def build_snapshot(
    state: PlayerActivity,
    queue: PlayQueue,
    attempt: Attempt | None,
    offset_ms: int | None,
    *,
    resumable: bool,
    volume: int,
    muted: bool,
) -> JsonObject:
    """``attempt`` is ``queue.current``'s attempt (if any), ``offset_ms`` its position."""
    entry = queue.current
    current: JsonObject | None = None
    if entry is not None:
        current = {
            "audioItemId": entry.audio_item_id,
            "token": attempt.token if attempt else entry.stream.token,
            "stream": attempt.stream if attempt else entry.stream.raw,
            "offsetInMilliseconds": offset_ms if offset_ms is not None else 0,
            "announced": bool(attempt and attempt.announced),
            "resumable": resumable,
            "play": entry.play_raw(),
        }
    return {
        "state": state.value,
        "current": current,
        "queue": [e.play_raw() for e in queue.upcoming],
        "repeat": queue.repeat.value,
        "shuffle": queue.shuffle,
        "volume": volume,
        "muted": muted,
    }


@dataclass(frozen=True)
class Restored:
    state: PlayerActivity
    current: QueueEntry | None
    upcoming: list[QueueEntry]
    offset_ms: int
    stream: JsonObject | None
    announced: bool
    resumable: bool
    repeat: QueueRepeat
    shuffle: bool
    volume: int | None
    muted: bool | None


def parse_snapshot(snapshot: Mapping[str, Any]) -> Restored:
    """Read what ``build_snapshot`` wrote; ValueError (with the reason) when it cannot."""
    try:
        current = snapshot.get("current") or None
        stream = current.get("stream") if current else None
        return Restored(
            state=PlayerActivity(snapshot.get("state", PlayerActivity.IDLE.value)),
            current=QueueEntry(PlayPayload.model_validate(current["play"])) if current else None,
            upcoming=[QueueEntry(PlayPayload.model_validate(p)) for p in snapshot.get("queue", [])],
            offset_ms=int(current.get("offsetInMilliseconds") or 0) if current else 0,
            stream=dict(stream) if isinstance(stream, dict) else None,
            announced=bool(current.get("announced", True)) if current else False,
            resumable=bool(current.get("resumable", False)) if current else False,
            repeat=QueueRepeat(snapshot.get("repeat", QueueRepeat.NONE.value)),
            shuffle=bool(snapshot.get("shuffle", False)),
            volume=int(snapshot["volume"]) if "volume" in snapshot else None,
            muted=bool(snapshot["muted"]) if "muted" in snapshot else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
        raise ValueError(f"unreadable player snapshot: {exc}") from exc
