"""Small pieces of daemon state: the saved player state, recent errors, the STATUS line."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import EventDict

from .control import ErrorInfo
from .position_record import Position, PositionRecord
from .protocol.audioplayer import PlaybackState

log = structlog.get_logger(__name__)

_PROBLEM_LEVELS = ("warning", "error", "critical", "exception")
COALESCE_S = 0.2
"""Snapshots submitted within this time of each other are written once (the newest)."""


class RecentErrors:
    """A structlog observer keeping the last few warnings and errors for ``status``."""

    def __init__(self, size: int = 10) -> None:
        self.items: deque[ErrorInfo] = deque(maxlen=size)

    def __call__(self, logger: Any, name: str, event_dict: EventDict) -> EventDict:
        if str(event_dict.get("level", name)).lower() in _PROBLEM_LEVELS:
            details = " ".join(
                f"{key}={value}"
                for key, value in event_dict.items()
                if key in ("reason", "errors", "code", "description", "url", "token")
            )
            source = str(event_dict.get("logger", "")).removeprefix("clova_client.")
            message = f"{event_dict.get('event', '')} {details}".strip()
            self.items.append({"at": time.time(), "source": source, "message": message})
        return event_dict


class StateFile:
    """What a restart restores: the player snapshot (``player.json``, on every state change)
    and, while playing, the position since that snapshot (a ``PositionRecord`` overwritten in
    place). Saves run on one writer thread; one that fails is logged once (``state_save_failed``),
    kept ``dirty`` for the daemon to retry, and never raises; the first that works again logs
    ``state_save_recovered``.

    The snapshot is replaced by a rename, without fsync: a process that dies loses nothing
    written (the page cache keeps it); after a power loss the file is the old or the new one
    (ext4 writes a file replaced by a rename before it commits the rename, at most
    ``commit=`` 5 s later). An fsync made each snapshot cost five times the bytes written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.position = PositionRecord(path.with_name("position"))
        self.generation = 0
        """Of the last snapshot written (or found): a position record names the one it extends."""
        self.dirty = False
        """The last snapshot could not be written: save again."""
        self._problem: str | None = None
        self._saved: dict[str, Any] | None = None
        """The last snapshot written, without its offset."""
        self._slot = threading.Lock()
        self._submitted: tuple[dict[str, Any], bool] | None = None
        self.coalesce_s = COALESCE_S

    def submit(self, snapshot: dict[str, Any], *, durable: bool) -> None:
        """Hand a snapshot to ``write_submitted`` (any thread); one not yet written is replaced
        by this newer one (durable if either is)."""
        with self._slot:
            if self._submitted is not None:
                durable = durable or self._submitted[1]
            self._submitted = (snapshot, durable)

    def write_submitted(self) -> None:
        """On the writer thread: ``COALESCE_S`` after a snapshot was submitted, write the newest
        one, so the state changes of one moment (a track ends, the next starts) are one write."""
        if self._submitted is None:
            return
        time.sleep(self.coalesce_s)
        with self._slot:
            submitted, self._submitted = self._submitted, None
        if submitted is not None:
            self.save(submitted[0], durable=submitted[1])

    def save(self, snapshot: dict[str, Any], *, durable: bool) -> None:
        """``durable`` (a state change): write the whole snapshot. Else (a position tick) only
        the position, unless something else changed since the last snapshot (an ENQUEUE, a
        StreamDeliver): then the whole snapshot too."""
        if durable or self.dirty or _without_offset(snapshot) != self._saved:
            self._write_snapshot(snapshot)
            return
        offset = (snapshot.get("current") or {}).get("offsetInMilliseconds") or 0
        try:
            self.position.write(Position(self.generation, int(offset)))
        except OSError as exc:
            self._failed(exc, self.position.path)
            return
        self._recovered()

    def _write_snapshot(self, snapshot: dict[str, Any]) -> None:
        generation = self.generation + 1
        tmp = self.path.with_suffix(".tmp")
        try:
            with open(tmp, "w", encoding="utf-8", opener=_private) as f:
                json.dump({**snapshot, "generation": generation}, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            self.dirty = True
            self._failed(exc, self.path)
            return
        self.generation, self.dirty = generation, False
        self._saved = _without_offset(snapshot)
        self._recovered()

    def _failed(self, exc: OSError, path: Path) -> None:
        if self._problem is None:
            log.warning(
                "state_save_failed",
                reason=str(exc),
                path=str(path),
                action="the player goes on; saving is retried every few seconds",
            )
        self._problem = str(exc)

    def _recovered(self) -> None:
        if self._problem is not None:
            log.info("state_save_recovered", path=str(self.path), failed_with=self._problem)
            self._problem = None

    def close(self) -> None:
        self.position.close()

    def load(self) -> dict[str, Any] | None:
        """The last snapshot with the newest position saved for it, or None (missing, or
        unreadable: logged, never fatal)."""
        data = self._load_snapshot()
        record = self.position.read()
        generation = data.get("generation") if data is not None else None
        generation = generation if isinstance(generation, int) else 0
        self.generation = max(generation, record.generation if record else 0)
        current = data.get("current") if data is not None else None
        if record and record.generation == generation and isinstance(current, dict):
            current["offsetInMilliseconds"] = record.offset_ms
        return data

    def _load_snapshot(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning(
                "state_unreadable", reason=str(exc), path=str(self.path), moved_to=self.set_aside()
            )
            return None
        if not isinstance(data, dict):
            reason = f"a JSON object was expected, not {type(data).__name__}"
            log.warning(
                "state_unreadable", reason=reason, path=str(self.path), moved_to=self.set_aside()
            )
            return None
        return data

    def set_aside(self) -> str | None:
        """Rename an unusable state file to ``*.bad`` (kept for a look, never loaded again);
        the new path, or None when it could not be moved."""
        bad = self.path.with_suffix(self.path.suffix + ".bad")
        try:
            os.replace(self.path, bad)
        except OSError:
            return None
        return str(bad)


def _without_offset(snapshot: dict[str, Any]) -> dict[str, Any]:
    current = snapshot.get("current")
    if not isinstance(current, dict):
        return snapshot
    return {**snapshot, "current": {**current, "offsetInMilliseconds": None}}


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _clock(ms: int | None) -> str:
    seconds = max(0, (ms or 0) // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def status_line(state: str, token: str | None, playback: PlaybackState, cic: str) -> str:
    """``playing TR-123 01:23/04:56 - cic connected``: what systemd shows as STATUS."""
    words = [state.lower()]
    if token:
        words.append(token)
        position = _clock(playback.offset_ms)
        if playback.total_ms:
            position += f"/{_clock(playback.total_ms)}"
        words.append(position)
    return f"{' '.join(words)} - cic {cic.lower().replace('_', ' ')}"
