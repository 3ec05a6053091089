"""Reading a music file's tags with mutagen: title, artists, album, genres, date, numbers,
length and lyrics. Any file mutagen cannot read still becomes a song named after the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mutagen
from mutagen.easyid3 import EasyID3
from mutagen.easymp4 import EasyMP4Tags
from mutagen.id3 import ID3

from .models import Tags

AUDIO_SUFFIXES = frozenset(
    {".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".mp4", ".aac", ".wav", ".wma", ".ape"}
)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")
_NUMBER = re.compile(r"^\s*(\d+)")


def _id3_lyrics(id3: Any, key: str) -> list[str]:
    texts = [str(frame.text) for frame in id3.getall("USLT") if str(frame.text).strip()]
    if not texts:
        raise KeyError(key)
    return texts


# mutagen's documented way to add a key to the easy interfaces (its stubs leave these untyped)
_easy_id3: Any = EasyID3
_easy_mp4: Any = EasyMP4Tags
_easy_id3.RegisterKey("lyrics", _id3_lyrics)
_easy_mp4.RegisterTextKey("lyrics", "\xa9lyr")


def _values(tags: Any, key: str) -> list[str]:
    """Every text value of ``key`` (an EasyID3-style name) in any of mutagen's tag types."""
    try:
        if isinstance(tags, ID3):  # WAV and AIFF carry raw ID3: read it through EasyID3's table
            getter = EasyID3.Get.get(key)
            value: Any = getter(tags, key) if getter else []
        else:
            value = tags[key]
    except (KeyError, ValueError, TypeError):
        return []
    items = value if isinstance(value, list) else [value]
    return [text for text in (str(v).strip() for v in items) if text]


def _first(tags: Any, *keys: str) -> str | None:
    for key in keys:
        values = _values(tags, key)
        if values:
            return values[0]
    return None


def _number(text: str | None) -> int | None:
    match = _NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def read_tags(path: Path) -> Tags:
    """The tags of ``path``; a file without readable tags is titled after its name."""
    try:
        audio = mutagen.File(path, easy=True)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        audio = None
    tags = audio.tags if audio is not None else None
    info = getattr(audio, "info", None)
    length = getattr(info, "length", None)
    duration = round(length * 1000) if isinstance(length, int | float) and length > 0 else None
    if tags is None:
        return Tags(title=path.stem, duration_ms=duration)
    date = _first(tags, "date", "originaldate")
    date_match = _DATE.match(date or "")
    return Tags(
        title=_first(tags, "title") or path.stem,
        artists=tuple(_values(tags, "artist") or _values(tags, "albumartist")),
        album=_first(tags, "album"),
        genres=tuple(_values(tags, "genre")),
        date=date_match.group(0) if date_match else None,
        track_no=_number(_first(tags, "tracknumber")),
        disc_no=_number(_first(tags, "discnumber")),
        duration_ms=duration,
        lyrics=_first(tags, "lyrics", "unsyncedlyrics"),
    )
