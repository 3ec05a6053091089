"""Real test media: WAV (python ``wave``), MP3 (``lame``) and Ogg Vorbis (``oggenc``).

Every file is band-limited noise (libVLC cannot seek in an Ogg made of a pure sine) at a fixed
amplitude, made once per duration and format and cached in a directory. ``generate_media`` is the
plain function (for the bench and the e2e tests); ``media_dir`` in ``tests/conftest`` style
fixtures wraps it.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Format = Literal["wav", "mp3", "ogg"]

RATE = 44100
CHANNELS = 2


@dataclass(frozen=True, slots=True)
class MediaFile:
    path: Path
    fmt: Format
    length_ms: int

    @property
    def name(self) -> str:
        return self.path.name


def _write_wav(path: Path, length_ms: int, seed: int) -> None:
    frames = RATE * length_ms // 1000
    rng = random.Random(seed)
    # Soft noise: a one-pole low-pass over white noise, around -20 dBFS.
    state = 0.0
    block: list[int] = []
    tmp = path.with_suffix(".part")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for _ in range(frames):
            state = 0.7 * state + 0.3 * rng.uniform(-1.0, 1.0)
            sample = int(state * 6000)
            block.extend((sample, sample))
            if len(block) >= 8192:
                out.writeframes(struct.pack(f"<{len(block)}h", *block))
                block.clear()
        if block:
            out.writeframes(struct.pack(f"<{len(block)}h", *block))
    tmp.replace(path)


def _encode(cmd: list[str], out: Path) -> None:
    tmp = out.with_name(out.name + ".part")
    subprocess.run([*cmd, str(tmp)], check=True, capture_output=True)
    tmp.replace(out)


def media_file(directory: Path, fmt: Format, length_ms: int, *, seed: int = 1) -> MediaFile:
    """Return (made when missing) a ``length_ms`` long noise file of ``fmt`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    wav = directory / f"noise-{length_ms}ms-{seed}.wav"
    if not wav.exists():
        _write_wav(wav, length_ms, seed)
    if fmt == "wav":
        return MediaFile(wav, fmt, length_ms)
    target = directory / f"noise-{length_ms}ms-{seed}.{fmt}"
    if not target.exists():
        if fmt == "mp3":
            if shutil.which("lame") is None:
                raise RuntimeError("lame is not installed (scripts/bootstrap installs it)")
            _encode(["lame", "--quiet", "--cbr", "-b", "128", "--noreplaygain", str(wav)], target)
        else:
            if shutil.which("oggenc") is None:
                raise RuntimeError("oggenc is not installed (scripts/bootstrap installs it)")
            _encode(["oggenc", "--quiet", "-q", "2", str(wav), "-o"], target)
    return MediaFile(target, fmt, length_ms)


def garbage_file(directory: Path, size: int = 64 * 1024, *, name: str = "garbage.mp3") -> Path:
    """Bytes that are no audio format at all (seeded, so the file is the same every run)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if not path.exists():
        rng = random.Random(4242)
        # Printable junk: no MPEG sync word (0xFFE) can appear, so no decoder takes it for audio.
        path.write_bytes(bytes(rng.randrange(0x20, 0x7F) for _ in range(size)))
    return path
