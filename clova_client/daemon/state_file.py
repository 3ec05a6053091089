"""What a restart restores: the player snapshot and its position, in ``player.state``.

A state change writes the whole snapshot (JSON) into the file's other slot; while playing, the
daemon's tick rewrites only the position in the current slot's header, unless something else
changed since (an ENQUEUE, a StreamDeliver): then the whole snapshot (``state_slots``). Nothing
is fsynced: a process that dies loses nothing written (the page cache keeps it); a power cut
loses what the kernel had not written back yet (``vm.dirty_expire_centisecs``, 30 s) and a
write it tore falls back to the slot before. Snapshots submitted within ``COALESCE_S`` of each
other are one write. ``player.json`` (an older version's file, or one written by hand) is read
when there is no ``player.state``, and removed once ``player.state`` is written.

Saves run on the daemon's one writer thread and never raise: a failure is logged once
(``state_save_failed``), kept ``dirty`` for the daemon to retry, and its end logged
(``state_save_recovered``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import structlog

from .state_slots import SlotFile

log = structlog.get_logger(__name__)

COALESCE_S = 0.2
"""Snapshots submitted within this time of each other are written once (the newest)."""


class StateFile:
    """``player.state`` in ``directory`` (``player.json`` there is read when it is the only one)."""

    def __init__(self, directory: Path) -> None:
        self.legacy = directory / "player.json"
        self.slots = SlotFile(directory / "player.state")
        self.path = self.slots.path
        """The file loaded last (for the log, and ``set_aside``)."""
        self.generation = 0
        """Of the last snapshot written or found."""
        self.dirty = False
        """The last snapshot could not be written: save again."""
        self.coalesce_s = COALESCE_S
        self._problem: str | None = None
        self._saved: dict[str, Any] | None = None
        """The last snapshot written, without its offset."""
        self._legacy_gone = False
        self._lock = threading.Lock()
        self._submitted: tuple[dict[str, Any], bool] | None = None

    def submit(self, snapshot: dict[str, Any], *, durable: bool) -> None:
        """Hand a snapshot to ``write_submitted`` (any thread); one not yet written is replaced
        by this newer one (durable if either is)."""
        with self._lock:
            if self._submitted is not None:
                durable = durable or self._submitted[1]
            self._submitted = (snapshot, durable)

    def write_submitted(self) -> None:
        """On the writer thread: ``coalesce_s`` after a snapshot was submitted, write the newest
        one, so the state changes of one moment (a track ends, the next starts) are one write."""
        if self._submitted is None:
            return
        time.sleep(self.coalesce_s)
        with self._lock:
            submitted, self._submitted = self._submitted, None
        if submitted is not None:
            self.save(submitted[0], durable=submitted[1])

    def save(self, snapshot: dict[str, Any], *, durable: bool) -> None:
        """``durable`` (a state change): the whole snapshot. Else (a position tick) only the
        position, unless anything else changed since the last snapshot."""
        if durable or self.dirty or _without_offset(snapshot) != self._saved:
            self._write_snapshot(snapshot)
            return
        try:
            written = self.slots.write_position(_offset(snapshot))
        except OSError as exc:
            self._failed(exc)
            return
        if not written:
            self._write_snapshot(snapshot)
            return
        self._recovered()

    def _write_snapshot(self, snapshot: dict[str, Any]) -> None:
        generation = self.generation + 1
        body = json.dumps(snapshot, separators=(",", ":")).encode()
        try:
            self.slots.write_snapshot(generation, _offset(snapshot), body)
            if not self._legacy_gone:
                self.legacy.unlink(missing_ok=True)  # player.state supersedes it
                self._legacy_gone = True
        except OSError as exc:
            self.dirty = True
            self._failed(exc)
            return
        self.generation, self.dirty = generation, False
        self._saved = _without_offset(snapshot)
        self._recovered()

    def _failed(self, exc: OSError) -> None:
        if self._problem is None:
            log.warning(
                "state_save_failed",
                reason=str(exc),
                path=str(self.slots.path),
                action="the player goes on; saving is retried every few seconds",
            )
        self._problem = str(exc)

    def _recovered(self) -> None:
        if self._problem is not None:
            log.info("state_save_recovered", path=str(self.slots.path), failed_with=self._problem)
            self._problem = None

    def load(self) -> dict[str, Any] | None:
        """The last snapshot at its last saved position, or None (missing, or unreadable:
        logged, set aside, never fatal)."""
        slot = self.slots.read()
        if slot is not None:
            self.path, self.generation = self.slots.path, slot.generation
            data = self._parse(slot.body)
            current = data.get("current") if data is not None else None
            if isinstance(current, dict):
                current["offsetInMilliseconds"] = slot.offset_ms
            return data
        if self.slots.path.exists():
            self.path = self.slots.path
            self._unreadable("no slot with a valid checksum")
        self.path = self.legacy
        try:
            text = self.legacy.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._unreadable(str(exc))
            return None
        return self._parse(text)

    def _parse(self, text: bytes) -> dict[str, Any] | None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            self._unreadable(str(exc))
            return None
        if not isinstance(data, dict):
            self._unreadable(f"a JSON object was expected, not {type(data).__name__}")
            return None
        return data

    def _unreadable(self, reason: str) -> None:
        log.warning(
            "state_unreadable", reason=reason, path=str(self.path), moved_to=self.set_aside()
        )

    def set_aside(self) -> str | None:
        """Rename the unusable file loaded last to ``*.bad`` (kept for a look, never loaded
        again); the new path, or None when it could not be moved."""
        bad = self.path.with_suffix(self.path.suffix + ".bad")
        try:
            os.replace(self.path, bad)
        except OSError:
            return None
        return str(bad)

    def close(self) -> None:
        self.slots.close()


def _offset(snapshot: dict[str, Any]) -> int:
    current = snapshot.get("current")
    return int(current.get("offsetInMilliseconds") or 0) if isinstance(current, dict) else 0


def _without_offset(snapshot: dict[str, Any]) -> dict[str, Any]:
    current = snapshot.get("current")
    if not isinstance(current, dict):
        return snapshot
    return {**snapshot, "current": {**current, "offsetInMilliseconds": None}}
