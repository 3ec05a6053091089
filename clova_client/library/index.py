"""The library's SQLite database: songs (table ``tracks``) with an FTS5 index kept in step by
triggers, M3U playlists, likes and play history. Likes and history are keyed by path, so they
survive a re-scan (and a file that disappears and comes back). Every function takes the
connection of the thread it runs on (the scanner and the query thread each have their own)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from .models import SEPARATOR, LibraryPlaylist, LibrarySong

SCHEMA_VERSION = 1
HISTORY_KEEP = 2000
"""Play history rows kept (the oldest go)."""

_FTS_COLUMNS = "title, artist, album, genre, name"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS tracks(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    title TEXT NOT NULL,
    artist TEXT NOT NULL DEFAULT '',
    album TEXT,
    genre TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    date TEXT,
    track_no INTEGER,
    disc_no INTEGER,
    duration_ms INTEGER,
    lyrics TEXT,
    art TEXT,
    added_at REAL NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS tracks_fts USING fts5(
    {_FTS_COLUMNS}, content='tracks', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
);
CREATE TRIGGER IF NOT EXISTS tracks_ai AFTER INSERT ON tracks BEGIN
    INSERT INTO tracks_fts(rowid, {_FTS_COLUMNS})
    VALUES (new.id, new.title, new.artist, new.album, new.genre, new.name);
END;
CREATE TRIGGER IF NOT EXISTS tracks_ad AFTER DELETE ON tracks BEGIN
    INSERT INTO tracks_fts(tracks_fts, rowid, {_FTS_COLUMNS})
    VALUES ('delete', old.id, old.title, old.artist, old.album, old.genre, old.name);
END;
CREATE TRIGGER IF NOT EXISTS tracks_au AFTER UPDATE ON tracks BEGIN
    INSERT INTO tracks_fts(tracks_fts, rowid, {_FTS_COLUMNS})
    VALUES ('delete', old.id, old.title, old.artist, old.album, old.genre, old.name);
    INSERT INTO tracks_fts(rowid, {_FTS_COLUMNS})
    VALUES (new.id, new.title, new.artist, new.album, new.genre, new.name);
END;
CREATE TABLE IF NOT EXISTS playlists(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS playlist_items(
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (playlist_id, pos)
);
CREATE TABLE IF NOT EXISTS likes(path TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY, path TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS history_path ON history(path);
"""

_SONG_COLUMNS = (
    "t.id, t.path, t.title, t.artist, t.album, t.genre, t.date, t.track_no, t.disc_no, "
    "t.duration_ms, t.lyrics, t.art"
)
_LIBRARY_ORDER = "t.artist COLLATE NOCASE, t.album COLLATE NOCASE, t.disc_no, t.track_no, t.title"

SongSource = Literal["all", "liked", "recent", "most_played", "newest"]
"""Which songs a selection starts from (before any search condition)."""

_SOURCES: dict[str, tuple[str, str]] = {
    "all": ("", _LIBRARY_ORDER),
    "liked": ("JOIN likes l ON l.path = t.path", "l.at DESC"),
    "recent": (
        "JOIN (SELECT path, MAX(id) AS last FROM history GROUP BY path) h ON h.path = t.path",
        "h.last DESC",
    ),
    "most_played": (
        "JOIN (SELECT path, COUNT(*) AS n, MAX(id) AS last FROM history GROUP BY path) h"
        " ON h.path = t.path",
        "h.n DESC, h.last DESC",
    ),
    "newest": ("", "t.added_at DESC, " + _LIBRARY_ORDER),
}


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create or migrate) the database; WAL, so reads never wait for the scanner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION):  # a newer layout: the index is a cache, rebuild it
        conn.executescript(
            "DROP TABLE IF EXISTS playlist_items; DROP TABLE IF EXISTS playlists;"
            "DROP TABLE IF EXISTS tracks_fts; DROP TABLE IF EXISTS tracks;"
        )
    conn.executescript(_SCHEMA)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(SEPARATOR) if v)


def _song(row: tuple[Any, ...]) -> LibrarySong:
    (id_, path, title, artist, album, genre, date, track_no, disc_no, duration, lyrics, art) = row
    return LibrarySong(
        id=int(id_),
        path=str(path),
        title=str(title),
        artists=_split(artist),
        album=album,
        genres=_split(genre),
        date=date,
        track_no=track_no,
        disc_no=disc_no,
        duration_ms=duration,
        lyrics=lyrics,
        art=art,
    )


# --- reading ---------------------------------------------------------------------------------


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    songs = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    playlists = conn.execute("SELECT COUNT(*) FROM playlists").fetchone()[0]
    return int(songs), int(playlists)


def select(
    conn: sqlite3.Connection, source: SongSource, match: str | None, limit: int
) -> list[LibrarySong]:
    """Songs of ``source`` (in its order) that satisfy the FTS ``match`` (best first when
    the source is the whole library)."""
    join, order = _SOURCES[source]
    args: list[object] = []
    where = ""
    if match:
        join = "JOIN tracks_fts f ON f.rowid = t.id " + join
        where = "WHERE tracks_fts MATCH ?"
        args.append(match)
        if source == "all":
            order = "f.rank, " + order
    sql = f"SELECT {_SONG_COLUMNS} FROM tracks t {join} {where} ORDER BY {order} LIMIT ?"
    try:
        rows = conn.execute(sql, [*args, limit]).fetchall()
    except sqlite3.OperationalError as exc:  # an expression FTS5 cannot parse: no match
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            return []
        raise
    return [_song(r) for r in rows]


def playlists(conn: sqlite3.Connection) -> list[LibraryPlaylist]:
    rows = conn.execute(
        "SELECT p.id, p.name, p.path, "
        " (SELECT COUNT(*) FROM playlist_items i JOIN tracks t ON t.path = i.path"
        "  WHERE i.playlist_id = p.id)"
        " FROM playlists p ORDER BY p.name COLLATE NOCASE, p.path"
    ).fetchall()
    return [
        LibraryPlaylist(id=r[0], name=r[1], path=r[2], number=n, length=r[3])
        for n, r in enumerate(rows, 1)
    ]


def playlist_songs(conn: sqlite3.Connection, playlist_id: int, limit: int) -> list[LibrarySong]:
    rows = conn.execute(
        f"SELECT {_SONG_COLUMNS} FROM playlist_items i JOIN tracks t ON t.path = i.path"
        " WHERE i.playlist_id = ? ORDER BY i.pos LIMIT ?",
        (playlist_id, limit),
    ).fetchall()
    return [_song(r) for r in rows]


def has_history(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM history LIMIT 1").fetchone() is not None


def is_liked(conn: sqlite3.Connection, path: str) -> bool:
    return conn.execute("SELECT 1 FROM likes WHERE path = ?", (path,)).fetchone() is not None


# --- the owner's state -----------------------------------------------------------------------


def set_like(conn: sqlite3.Connection, path: str, liked: bool) -> bool:
    """Like or unlike ``path``; False when it already was (or was not) liked."""
    if liked:
        sql = "INSERT OR IGNORE INTO likes(path, at) VALUES (?, ?)"
        cur = conn.execute(sql, (path, time.time()))
    else:
        cur = conn.execute("DELETE FROM likes WHERE path = ?", (path,))
    return cur.rowcount > 0


def record_play(conn: sqlite3.Connection, path: str) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO history(path, at) VALUES (?, ?)", (path, time.time()))
        conn.execute(
            "DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - ?", (HISTORY_KEEP,)
        )


# --- writing (the scanner) -------------------------------------------------------------------


def known_songs(conn: sqlite3.Connection) -> dict[str, tuple[int, int, str | None]]:
    rows = conn.execute("SELECT path, mtime_ns, size, art FROM tracks")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def known_playlists(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT path, mtime_ns, size FROM playlists")}


SongRow = tuple[object, ...]
"""(path, mtime_ns, size, title, artist, album, genre, name, date, track_no, disc_no,
duration_ms, lyrics, art)"""


def upsert_songs(conn: sqlite3.Connection, rows: Iterable[SongRow]) -> None:
    now = time.time()
    with conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO tracks(path, mtime_ns, size, title, artist, album, genre, name, date,"
            " track_no, disc_no, duration_ms, lyrics, art, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET mtime_ns=excluded.mtime_ns, size=excluded.size,"
            " title=excluded.title, artist=excluded.artist, album=excluded.album,"
            " genre=excluded.genre, name=excluded.name, date=excluded.date,"
            " track_no=excluded.track_no, disc_no=excluded.disc_no,"
            " duration_ms=excluded.duration_ms, lyrics=excluded.lyrics, art=excluded.art",
            [(*row, now) for row in rows],
        )


def set_art(conn: sqlite3.Connection, changes: Iterable[tuple[str | None, str]]) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.executemany("UPDATE tracks SET art = ? WHERE path = ?", changes)


def delete_songs(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.executemany("DELETE FROM tracks WHERE path = ?", ((p,) for p in paths))


def replace_playlist(
    conn: sqlite3.Connection, path: str, name: str, stat: tuple[int, int], items: list[str]
) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.execute("DELETE FROM playlists WHERE path = ?", (path,))
        cur = conn.execute(
            "INSERT INTO playlists(path, name, mtime_ns, size) VALUES (?, ?, ?, ?)",
            (path, name, *stat),
        )
        conn.executemany(
            "INSERT INTO playlist_items(playlist_id, pos, path) VALUES (?, ?, ?)",
            [(cur.lastrowid, pos, item) for pos, item in enumerate(items)],
        )


def delete_playlists(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.executemany("DELETE FROM playlists WHERE path = ?", ((p,) for p in paths))
