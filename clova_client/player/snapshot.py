"""The player's state as plain JSON, for the status display and to restore after a restart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .attempt import Attempt
from .item import JsonObject, PlayItem, Rebuild
from .queue import PlayQueue, QueueRepeat
from .status import Activity


def build_snapshot(
    state: Activity,
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
            "audioItemId": entry.key,
            "token": attempt.token if attempt else entry.token,
            "stream": attempt.stream if attempt else entry.stream,
            "offsetInMilliseconds": offset_ms if offset_ms is not None else 0,
            "announced": bool(attempt and attempt.announced),
            "resumable": resumable,
            "play": entry.saved,
        }
    return {
        "state": state.value,
        "current": current,
        "queue": [e.saved for e in queue.upcoming],
        "repeat": queue.repeat.value,
        "shuffle": queue.shuffle,
        "volume": volume,
        "muted": muted,
    }


@dataclass(frozen=True)
class Restored:
    state: Activity
    current: PlayItem | None
    upcoming: list[PlayItem]
    offset_ms: int
    stream: JsonObject | None
    token: str | None
    announced: bool
    resumable: bool
    repeat: QueueRepeat
    shuffle: bool
    volume: int | None
    muted: bool | None


def parse_snapshot(snapshot: Mapping[str, Any], rebuild: Rebuild) -> Restored:
    """Read what ``build_snapshot`` wrote, the items made again by ``rebuild`` from what they
    saved; ValueError (with the reason) when it cannot."""
    try:
        current = snapshot.get("current") or None
        stream = current.get("stream") if current else None
        return Restored(
            state=Activity(snapshot.get("state", Activity.IDLE.value)),
            current=rebuild(current["play"]) if current else None,
            upcoming=[rebuild(p) for p in snapshot.get("queue", [])],
            offset_ms=int(current.get("offsetInMilliseconds") or 0) if current else 0,
            stream=dict(stream) if isinstance(stream, dict) else None,
            token=_text(current.get("token")) if current else None,
            announced=bool(current.get("announced", True)) if current else False,
            resumable=bool(current.get("resumable", False)) if current else False,
            repeat=QueueRepeat(snapshot.get("repeat", QueueRepeat.NONE.value)),
            shuffle=bool(snapshot.get("shuffle", False)),
            volume=int(snapshot["volume"]) if "volume" in snapshot else None,
            muted=bool(snapshot["muted"]) if "muted" in snapshot else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"unreadable player snapshot: {exc}") from exc


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
