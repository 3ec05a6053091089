"""``clova-client status`` for humans: one fact per line, times in local time.

Tolerant of missing or odd fields (a daemon of another version): they show as ``?``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: object, limit: int = MAX_TEXT) -> str:
    """``value`` as one printable line, shortened to ``limit`` characters."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clock(ms: object) -> str:
    """``83000`` -> ``01:23``; an hour or more -> ``1:02:03``; unknown -> ``--:--``."""
    if not isinstance(ms, int | float) or isinstance(ms, bool) or ms < 0:
        return "--:--"
    minutes, seconds = divmod(int(ms) // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def when(at: object, now: float) -> str:
    """Local ``HH:MM:SS``, with the date when it is not today."""
    if not isinstance(at, int | float) or isinstance(at, bool):
        return "?"
    moment, today = time.localtime(at), time.localtime(now)
    same_day = moment[:3] == today[:3]
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S", moment)


def duration(seconds: object) -> str:
    """``4.2`` -> ``4 s``, ``75`` -> ``1m15s``, ``3725`` -> ``1h02m``, ``90000`` -> ``1d01h``."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return "?"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _maps(value: object) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, Mapping)]


def _text(value: object) -> str:
    return "?" if value is None else one_line(value)


def track(item: Mapping[str, Any]) -> str:
    """``token  Title - Artist`` with whatever is known."""
    parts = [_text(item.get("token"))]
    title, artist = item.get("title"), item.get("artist")
    if title or artist:
        parts.append(" - ".join(one_line(v) for v in (title, artist) if v))
    return "  ".join(parts)


def _connection(conn: Mapping[str, Any], now: float) -> list[str]:
    state = _text(conn.get("state")).upper()
    line = f"connection:  {state}"
    if conn.get("since") is not None:
        line += f" since {when(conn['since'], now)}"
    if conn.get("retry_in_s") is not None:
        line += f", retry in {duration(conn['retry_in_s'])}"
    if conn.get("http_version"):
        line += f" ({one_line(conn['http_version'], 20)})"
    lines = [line]
    if conn.get("last_error"):
        lines.append(f"  last error: {one_line(conn['last_error'])}")
    return lines


def _player(player: Mapping[str, Any]) -> list[str]:
    lines = [f"player:      {_text(player.get('state')).upper()}"]
    current = player.get("current")
    if isinstance(current, Mapping):
        position = f"{clock(current.get('position_ms'))}/{clock(current.get('duration_ms'))}"
        source = f"  [{one_line(current['source'], 20)}]" if current.get("source") else ""
        lines.append(f"  item:      {track(current)}  {position}{source}")
        lines += _details(current)
    else:
        lines.append("  item:      none")
    volume = _text(player.get("volume"))
    lines.append(f"  volume:    {volume}{' (muted)' if player.get('muted') else ''}")
    repeat = _text(player.get("repeat"))
    shuffle = player.get("shuffle")
    lines.append(f"  repeat:    {repeat}{', shuffle on' if shuffle is True else ''}")
    failure = player.get("last_failure")
    if isinstance(failure, Mapping):
        label = "  recovered: " if failure.get("past") else "  failed:    "
        lines.append(
            f"{label}{one_line(failure.get('token') or '?', 40)}  "
            f"{one_line(failure.get('reason') or '?')}  ({when(failure.get('at'), time.time())})"
        )
    queue = _maps(player.get("queue"))
    lines.append(f"queue:       {len(queue)} item{'' if len(queue) == 1 else 's'}")
    lines += [f"  {n}. {track(item)}" for n, item in enumerate(queue, 1)]
    return lines


_DETAILS = (("album", "album"), ("provider", "provider"), ("art_url", "art"), ("lyrics", "lyrics"))


def _details(current: Mapping[str, Any]) -> list[str]:
    """Now-playing metadata (RenderPlayerInfo, or the library's tags), when there is any."""
    return [
        f"  {label + ':':<11}{one_line(current[key], 80)}"
        for key, label in _DETAILS
        if current.get(key)
    ]


def _library(library: object) -> list[str]:
    if not isinstance(library, Mapping) or not library.get("paths"):
        return []
    tracks, playlists = _text(library.get("tracks")), _text(library.get("playlists"))
    scanning = " (scanning)" if library.get("scanning") else ""
    return [f"library:     {tracks} tracks, {playlists} playlists{scanning}"]


def _outbox(outbox: Mapping[str, Any]) -> str:
    pending = outbox.get("pending")
    line = f"outbox:      {_text(pending)} event{'' if pending == 1 else 's'} pending"
    disk = outbox.get("disk")
    if disk not in (None, "ok"):
        line += f" (disk {_text(disk)}: {_text(outbox.get('in_memory'))} in memory only)"
    return line


def render_status(doc: Mapping[str, Any], now: float | None = None) -> str:
    """The status document as text (no trailing newline); ``now`` defaults to the clock."""
    now = time.time() if now is None else now
    head = f"clova-client {_text(doc.get('version'))} (pid {_text(doc.get('pid'))})"
    started = doc.get("started_at")
    if isinstance(started, int | float):
        head += f", up {duration(now - started)} (since {when(started, now)})"
    lines = [head]
    lines += _connection(_map(doc.get("connection")), now)
    lines += _player(_map(doc.get("player")))
    lines += _library(doc.get("library"))
    lines += _voice(doc.get("voice"))
    lines.append(_outbox(_map(doc.get("outbox"))))
    errors = _maps(doc.get("errors"))
    lines.append("last errors: none" if not errors else "last errors:")
    for err in errors:
        source = one_line(err.get("source") or "?", 20)
        past = "  (past: recovered since)" if err.get("past") else ""
        lines.append(f"  {when(err.get('at'), now)}  {source}: {_text(err.get('message'))}{past}")
    return "\n".join(lines)


def _voice(value: object) -> list[str]:
    """``voice: speech PLAYING tts-1, music ducked (speech)``; nothing before any voice."""
    voice = _map(value)
    if not voice:
        return []
    parts = []
    speech = _map(voice.get("speech"))
    if speech:
        parts.append(f"speech {_text(speech.get('playerActivity'))} {_text(speech.get('token'))}")
    if voice.get("recognizing"):
        parts.append(f"listening in dialog {_text(voice.get('recognizing'))}")
    if voice.get("expecting"):
        parts.append(f"waiting for an answer ({_text(voice.get('expecting'))})")
    focus = voice.get("focus")
    if isinstance(focus, list) and focus:
        holders = ", ".join(_text(h) for h in focus)
        parts.append(f"music {_text(voice.get('content'))} ({holders})")
    return [f"voice: {'; '.join(parts)}"] if parts else []
