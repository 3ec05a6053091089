"""One scan of the configured directories: walk them (a stat per file), compare with the index,
read tags only of new or changed files, drop what is gone. Runs on the scanner thread; the
index is written in small transactions, so searches see the library grow while it scans."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import structlog

from . import index
from .models import SEPARATOR, ScanCancelled, ScanReport
from .tags import AUDIO_SUFFIXES, read_tags

log = structlog.get_logger(__name__)

BATCH = 200
"""Songs written per transaction."""
PLAYLIST_SUFFIXES = frozenset({".m3u", ".m3u8"})
COVER_NAMES = ("cover", "folder", "front", "albumart", "album")
COVER_SUFFIXES = (".jpg", ".jpeg", ".png")
Stat = tuple[int, int]


@dataclass
class Tree:
    """What one walk found: audio files and playlists with (mtime_ns, size), covers by dir."""

    audio: dict[str, Stat] = field(default_factory=dict)
    playlists: dict[str, Stat] = field(default_factory=dict)
    covers: dict[str, str] = field(default_factory=dict)


def _cover_rank(name: str) -> int | None:
    stem, suffix = os.path.splitext(name.lower())
    if suffix not in COVER_SUFFIXES or stem not in COVER_NAMES:
        return None
    return COVER_NAMES.index(stem)


def walk(roots: Sequence[Path], stop: threading.Event) -> Tree:
    """Every audio file and playlist under ``roots`` (hidden entries and symlinked
    directories are skipped, so a link loop cannot trap the walk)."""
    tree = Tree()
    stack = [str(root) for root in roots if root.is_dir()]  # a missing one: nothing under it
    while stack:
        if stop.is_set():
            raise ScanCancelled
        directory = stack.pop()
        best: tuple[int, str] | None = None
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                            continue
                        if not entry.is_file():
                            continue
                        suffix = os.path.splitext(entry.name)[1].lower()
                        if suffix in AUDIO_SUFFIXES:
                            st = entry.stat()
                            tree.audio[entry.path] = (st.st_mtime_ns, st.st_size)
                        elif suffix in PLAYLIST_SUFFIXES:
                            st = entry.stat()
                            tree.playlists[entry.path] = (st.st_mtime_ns, st.st_size)
                        elif (rank := _cover_rank(entry.name)) is not None and (
                            best is None or rank < best[0]
                        ):
                            best = (rank, entry.path)
                    except OSError:
                        continue  # vanished or unreadable meanwhile
        except OSError as exc:
            log.warning("library.unreadable_dir", path=directory, reason=exc.strerror)
            continue
        if best is not None:
            tree.covers[directory] = Path(best[1]).as_uri()
    return tree


def read_m3u(path: str) -> tuple[str | None, list[str]]:
    """(the ``#PLAYLIST:`` name if any, the absolute paths of its local entries); remote
    URLs are skipped: the library only plays local files."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    base = os.path.dirname(path)
    name: str | None = None
    items: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("#PLAYLIST:"):
            name = line.split(":", 1)[1].strip() or None
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("file://"):
            items.append(unquote(urlsplit(line).path))
        elif "://" not in line:
            items.append(os.path.normpath(os.path.join(base, line.replace("\\", "/"))))
    return name, items


def _row(path: str, stat: Stat, art: str | None) -> index.SongRow:
    tags = read_tags(Path(path))
    return (
        path,
        *stat,
        tags.title,
        SEPARATOR.join(tags.artists),
        tags.album,
        SEPARATOR.join(tags.genres),
        Path(path).stem,
        tags.date,
        tags.track_no,
        tags.disc_no,
        tags.duration_ms,
        tags.lyrics,
        art,
    )


def scan(conn: sqlite3.Connection, roots: Sequence[Path], stop: threading.Event) -> ScanReport:
    started = time.monotonic()
    tree = walk(roots, stop)
    known = index.known_songs(conn)
    gone = [p for p in known if p not in tree.audio]
    if gone:
        index.delete_songs(conn, gone)
    added = updated = 0
    batch: list[index.SongRow] = []
    art_only: list[tuple[str | None, str]] = []
    for path, stat in tree.audio.items():
        art = tree.covers.get(os.path.dirname(path))
        before = known.get(path)
        if before is not None and before[:2] == stat:
            if before[2] != art:
                art_only.append((art, path))
            continue
        if stop.is_set():
            raise ScanCancelled
        batch.append(_row(path, stat, art))
        added, updated = (added + 1, updated) if before is None else (added, updated + 1)
        if len(batch) >= BATCH:
            index.upsert_songs(conn, batch)
            batch.clear()
    if batch:
        index.upsert_songs(conn, batch)
    if art_only:
        index.set_art(conn, art_only)
    _scan_playlists(conn, tree)
    songs, playlists = index.counts(conn)
    return ScanReport(
        songs, playlists, added, updated, len(gone), round(time.monotonic() - started, 3)
    )


def _scan_playlists(conn: sqlite3.Connection, tree: Tree) -> None:
    known = index.known_playlists(conn)
    gone = [p for p in known if p not in tree.playlists]
    if gone:
        index.delete_playlists(conn, gone)
    for path, stat in tree.playlists.items():
        if known.get(path) == stat:
            continue
        try:
            name, items = read_m3u(path)
        except OSError as exc:
            log.warning("library.unreadable_playlist", path=path, reason=exc.strerror)
            continue
        index.replace_playlist(conn, path, name or Path(path).stem, stat, items)
