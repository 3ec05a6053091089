"""The media matrix: one short tone per format, made with the host's ffmpeg, cached."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SECONDS = 3
TONE = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={SECONDS}"]
STEREO = ["-ac", "2"]


@dataclass(frozen=True, slots=True)
class Format:
    """One entry of the matrix: its label, the file (relative to the media dir), ffmpeg args."""

    label: str
    path: str
    args: tuple[str, ...]


MATRIX: tuple[Format, ...] = (
    Format("MP3 CBR 128k", "mp3-cbr.mp3", ("-c:a", "libmp3lame", "-b:a", "128k")),
    Format("MP3 VBR (Xing)", "mp3-vbr.mp3", ("-c:a", "libmp3lame", "-q:a", "4")),
    Format("AAC in ADTS", "adts.aac", ("-c:a", "aac", "-b:a", "128k", "-f", "adts")),
    Format(
        "M4A, moov first",
        "moov-first.m4a",
        ("-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"),
    ),
    Format("M4A, moov last", "moov-last.m4a", ("-c:a", "aac", "-b:a", "128k")),
    Format("Ogg Vorbis", "vorbis.ogg", ("-c:a", "libvorbis", "-q:a", "4")),
    Format("Ogg Opus", "opus.opus", ("-c:a", "libopus", "-b:a", "96k")),
    Format("FLAC", "tone.flac", ("-c:a", "flac")),
    Format("WAV PCM s16le", "tone.wav", ("-c:a", "pcm_s16le")),
    Format(
        "HLS VOD, AAC in TS segments",
        "hls/index.m3u8",
        (
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_playlist_type",
            "vod",
            "-hls_segment_type",
            "mpegts",
            "-hls_segment_filename",
            "{dir}/seg%03d.ts",
        ),
    ),
)
"""What `check-arm64` opens on arm64; step 4 plays MP3 CBR and the moov-first M4A to the end."""

STAMP = "v1 " + " ".join(f"{f.path}:{' '.join(f.args)}" for f in MATRIX) + "\n"


def make_matrix(directory: Path) -> str:
    """Write every file of the matrix into ``directory`` (reused while the matrix is unchanged)."""
    stamp = directory / ".stamp"
    if stamp.is_file() and stamp.read_text() == STAMP:
        return f"reused ({len(MATRIX)} formats, {SECONDS} s tone)"
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is not installed (apt-get install ffmpeg)")
    shutil.rmtree(directory, ignore_errors=True)
    for fmt in MATRIX:
        target = directory / fmt.path
        target.parent.mkdir(parents=True, exist_ok=True)
        args = [a.replace("{dir}", str(target.parent)) for a in fmt.args]
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *TONE, *STEREO, *args]
        done = subprocess.run([*cmd, str(target)], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not target.is_file():
            raise RuntimeError(f"ffmpeg could not make {fmt.path}: {done.stderr.strip()}")
    stamp.write_text(STAMP)
    return f"made with ffmpeg ({len(MATRIX)} formats, {SECONDS} s tone)"
