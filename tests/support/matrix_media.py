"""The media matrix: one signal encoded the ways music and podcast services serve audio.

The signal is a linear chirp (its frequency says which media position is playing: see
``tests/support/audio_probe.py``) with a little noise on it (libVLC cannot seek in an Ogg made of
a pure tone), at a fixed level, starting at full level on its first sample so the first sound is
easy to find in a recording. ``make_matrix`` writes the WAV with Python's ``wave`` and every
other encoding with ``ffmpeg`` / ``lame`` (Debian packages installed by ``scripts/bootstrap``).
"""

from __future__ import annotations

import math
import random
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 44100
LENGTH_MS = 5500
"""Not a multiple of the 2000 ms interval the matrix asks for: no report falls on the end."""

CHIRP_START_HZ = 400.0
CHIRP_SLOPE_HZ_PER_S = 500.0
"""The frequency at media position ``t`` seconds is ``400 + 500 t`` Hz (400-3150 Hz)."""

LEVEL = 0.3
NOISE = 0.05


@dataclass(frozen=True, slots=True)
class Encoding:
    """One way of serving the signal: ``name`` (test id), ``path`` (under the media root, the
    file a player is pointed at), seekable or not."""

    name: str
    path: str
    seekable: bool = True
    label: str = ""


ENCODINGS: tuple[Encoding, ...] = (
    Encoding("mp3-cbr", "chirp-cbr.mp3", label="MP3 CBR 128k (lame)"),
    Encoding("mp3-vbr", "chirp-vbr.mp3", label="MP3 VBR -V4 (lame)"),
    Encoding("aac-adts", "chirp.aac", label="AAC-LC in ADTS (ffmpeg aac)"),
    Encoding("m4a-moov-first", "chirp-faststart.m4a", label="AAC in MP4, moov first"),
    Encoding("m4a-moov-last", "chirp-moovlast.m4a", label="AAC in MP4, moov last"),
    Encoding("ogg-vorbis", "chirp.ogg", label="Ogg Vorbis q3 (oggenc)"),
    Encoding("ogg-opus", "chirp.opus", label="Ogg Opus 96k (ffmpeg libopus, 1 s pages)"),
    Encoding("flac", "chirp.flac", label="FLAC"),
    Encoding("wav", "chirp.wav", label="WAV PCM s16"),
    Encoding("hls", "hls/index.m3u8", label="HLS VOD, 2 s MPEG-TS segments of AAC"),
)
BY_NAME = {e.name: e for e in ENCODINGS}


def chirp_frequency(media_s: float) -> float:
    return CHIRP_START_HZ + CHIRP_SLOPE_HZ_PER_S * media_s


def media_position_ms(frequency_hz: float) -> float:
    """Which media position plays a chirp frequency (the inverse of ``chirp_frequency``)."""
    return (frequency_hz - CHIRP_START_HZ) / CHIRP_SLOPE_HZ_PER_S * 1000.0


def write_chirp_wav(path: Path, length_ms: int = LENGTH_MS, *, seed: int = 7) -> None:
    """Stereo s16 WAV, both channels the same chirp plus a little white noise."""
    rng = random.Random(seed)
    frames = RATE * length_ms // 1000
    k = CHIRP_SLOPE_HZ_PER_S / 2.0
    amplitude = 32767 * LEVEL
    noise = 32767 * NOISE
    tmp = path.with_name(path.name + ".part")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        block: list[int] = []
        for n in range(frames):
            t = n / RATE
            phase = 2 * math.pi * (CHIRP_START_HZ * t + k * t * t)
            sample = int(amplitude * math.sin(phase) + noise * rng.uniform(-1.0, 1.0))
            block.extend((sample, sample))
            if len(block) >= 16384:
                out.writeframes(struct.pack(f"<{len(block)}h", *block))
                block.clear()
        if block:
            out.writeframes(struct.pack(f"<{len(block)}h", *block))
    tmp.replace(path)


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise RuntimeError(f"{tool} is not installed (scripts/bootstrap installs it)")
    return found


def ffmpeg_encode(src: Path, out: Path, *args: str) -> None:
    """``ffmpeg -i src ARGS out``, quiet; raises when ffmpeg is missing or fails."""
    cmd = [_need("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*cmd, "-i", str(src), *args, str(out)], check=True, capture_output=True)


def make_matrix(root: Path) -> Path:
    """Write the WAV and every encoding of ``ENCODINGS`` into ``root``; returns the WAV. Files
    already there are kept."""
    root.mkdir(parents=True, exist_ok=True)
    wav = root / BY_NAME["wav"].path
    if not wav.exists():
        write_chirp_wav(wav)
    jobs: list[tuple[Path, list[str]]] = [
        (root / "chirp-cbr.mp3", [_need("lame"), "--quiet", "--cbr", "-b", "128"]),
        (root / "chirp-vbr.mp3", [_need("lame"), "--quiet", "-V", "4"]),
        (root / "chirp.ogg", [_need("oggenc"), "--quiet", "-q", "3", "-o"]),
    ]
    for out, cmd in jobs:
        if not out.exists():
            args = [*cmd, str(out), str(wav)] if cmd[-1] == "-o" else [*cmd, str(wav), str(out)]
            subprocess.run(args, check=True, capture_output=True)
    aac = ["-c:a", "aac", "-b:a", "128k"]
    ffmpeg_jobs: list[tuple[str, list[str]]] = [
        ("chirp.aac", [*aac, "-f", "adts"]),
        ("chirp-faststart.m4a", [*aac, "-movflags", "+faststart"]),
        ("chirp-moovlast.m4a", aac),
        ("chirp.opus", ["-c:a", "libopus", "-b:a", "96k"]),
        ("chirp.flac", ["-c:a", "flac"]),
    ]
    for name, args in ffmpeg_jobs:
        if not (root / name).exists():
            ffmpeg_encode(wav, root / name, *args)
    hls = root / "hls"
    if not (hls / "index.m3u8").exists():
        hls.mkdir(exist_ok=True)
        ffmpeg_encode(
            wav,
            hls / "index.m3u8",
            *aac,
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "mpegts",
            "-hls_segment_filename",
            str(hls / "seg%d.ts"),
        )
    return wav
