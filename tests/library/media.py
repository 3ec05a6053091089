"""A music library of real audio files, tagged with mutagen: MP3 (ID3), Ogg Vorbis (Vorbis
comments) and WAV (an ID3 chunk). Audio comes from ``tests.support.media`` (noise, encoded with
lame / oggenc) or, for long songs, digital silence encoded with lame (fast to make)."""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen import id3 as _id3
from mutagen import wave as _wave
from mutagen.easyid3 import EasyID3

from tests.support.media import media_file

LENGTH_MS = 3000


@dataclass(frozen=True)
class Song:
    """One file of the test library; ``path`` is relative to the library root."""

    path: str
    title: str | None = None
    artists: tuple[str, ...] = ()
    album: str | None = None
    genres: tuple[str, ...] = ()
    date: str | None = None
    track: int | None = None
    lyrics: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def tags(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        if self.title is not None:
            values["title"] = [self.title]
        if self.artists:
            values["artist"] = list(self.artists)
        if self.album is not None:
            values["album"] = [self.album]
        if self.genres:
            values["genre"] = list(self.genres)
        if self.date is not None:
            values["date"] = [self.date]
        if self.track is not None:
            values["tracknumber"] = [str(self.track)]
        return values


def base_audio(directory: Path, length_ms: int = LENGTH_MS) -> dict[str, Path]:
    """Untagged noise files, one per format, by suffix."""
    return {f".{fmt}": media_file(directory, fmt, length_ms).path for fmt in ("mp3", "ogg", "wav")}


def silent_mp3(directory: Path, length_ms: int) -> Path:
    """A ``length_ms`` long MP3 of digital silence (lame encodes it many times real time)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"silence-{length_ms}ms.mp3"
    if target.exists():
        return target
    wav = directory / f"silence-{length_ms}ms.wav"
    frames = 44100 * length_ms // 1000
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(bytes(frames * 4))
    part = target.with_suffix(".part")
    subprocess.run(
        ["lame", "--quiet", "--cbr", "-b", "32", str(wav), str(part)],
        check=True,
        capture_output=True,
    )
    part.replace(target)
    wav.unlink()
    return target


def write_tags(path: Path, song: Song) -> None:
    values = song.tags()
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        easy: Any = mutagen.File(path, easy=True)
        if easy.tags is None:
            easy.add_tags()
        for key, value in values.items():
            easy[key] = value
        easy.save()
        if song.lyrics is not None:
            mod: Any = _id3  # mutagen's ID3 classes are untyped
            tags = mod.ID3(path)
            tags.add(mod.USLT(encoding=3, lang="eng", desc="", text=song.lyrics))
            tags.save(path)
    elif suffix == ".ogg":
        vorbis: Any = mutagen.File(path)
        for key, value in values.items():
            vorbis[key] = value
        if song.lyrics is not None:
            vorbis["lyrics"] = [song.lyrics]
        vorbis.save()
    elif suffix == ".wav":
        wave_mod: Any = _wave
        wav: Any = wave_mod.WAVE(path)
        if wav.tags is None:
            wav.add_tags()
        setters: Any = EasyID3.Set
        for key, value in values.items():
            setters[key](wav.tags, key, value)
        wav.save()
    else:
        raise ValueError(f"no tag writer for {suffix}")


def make_library(root: Path, base: dict[str, Path], songs: Iterable[Song]) -> dict[str, Path]:
    """Copy a base file per song (by suffix), tag it; returns title-or-path -> file."""
    made: dict[str, Path] = {}
    for song in songs:
        target = root / song.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base[target.suffix.lower()], target)
        if song.tags() or song.lyrics:
            write_tags(target, song)
        made[song.title or song.path] = target
    return made


def write_m3u(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SONGS = (
    Song(
        "IU/Palette/01 Palette.mp3",
        "팔레트",
        ("아이유",),
        "Palette",
        ("K-Pop",),
        "2017-04-21",
        1,
        lyrics="이상하게도 요즘엔",
    ),
    Song("IU/Palette/02 Love Poem.mp3", "Love Poem", ("아이유",), "Palette", ("K-Pop",), "2019", 2),
    Song(
        "Beyonce/Halo.ogg",
        "Halo",
        ("Beyoncé",),
        "I Am... Sasha Fierce",
        ("Pop",),
        "2008",
        3,
        lyrics="Remember those walls I built",
    ),
    Song("Duets/Together.ogg", "Together", ("Alice", "Bob"), "Duets", ("Jazz", "Pop")),
    Song(
        "Loose/field recording.wav", "Field Recording", ("Nature",), None, ("Ambient",), "2020-06"
    ),
    Song("Loose/untagged take.mp3"),
)
