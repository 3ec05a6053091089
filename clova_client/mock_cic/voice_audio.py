"""The sound of the mock's voice answers: espeak-ng speech encoded to MP3 by ffmpeg (cached by
text and voice), ffmpeg tones, and the files it serves on the control port under ``/voice/``
(a Speak by URL or HLS, the short track a default answer plays)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import weakref
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

MP3_RATE = 22050
MP3_BITRATE = "48k"
SPEECH_WPM = 140
"""espeak-ng's words per minute: "Here is your music" lasts ~1.7 s."""
TRACK = "track.mp3"
TRACK_MS = 4000
FALLBACK_TONE_MS = 1500
HLS_SEGMENT_S = 1


class RenderError(Exception):
    """ffmpeg (or the file system) could not make the audio."""


async def _run(*argv: str, data: bytes | None = None) -> bytes:
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=PIPE if data is not None else DEVNULL, stdout=PIPE, stderr=PIPE
        )
    except OSError as exc:
        raise RenderError(f"cannot run {argv[0]}: {exc}") from None
    try:
        out, err = await process.communicate(data)
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
        await asyncio.shield(process.wait())
        raise
    if process.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise RenderError(f"{argv[0]} exited with {process.returncode}: {tail[0]}")
    return out


def _mp3_out() -> list[str]:
    return ["-ac", "1", "-ar", str(MP3_RATE), "-b:a", MP3_BITRATE, "-f", "mp3", "pipe:1"]


class VoiceAudio:
    """MP3s for Speak and Play, made on demand; the ``/voice/`` files and their forced statuses."""

    def __init__(self) -> None:
        self.base_url = ""
        """``<control URL>/voice``, set when the server starts."""
        self.espeak = shutil.which("espeak-ng")
        self._speech: dict[tuple[str, str], bytes] = {}
        self._tones: dict[int, bytes] = {}
        self._statuses: dict[str, int] = {}
        self._directory: Path | None = None

    # making sound ----------------------------------------------------------------------------

    async def speech(self, text: str, voice: str) -> bytes:
        """``text`` spoken by espeak-ng's ``voice`` as MP3; a tone (and a log line saying why)
        when espeak-ng is missing or fails."""
        key = (text, voice)
        if key in self._speech:
            return self._speech[key]
        if self.espeak is None:
            log.warning("mock_cic.tts_tone", reason="espeak-ng is not installed", text=text)
            return await self.tone(FALLBACK_TONE_MS)
        try:
            wav = await _run(
                self.espeak, "-v", voice, "-s", str(SPEECH_WPM), "--stdout", data=text.encode()
            )
            mp3 = await _run(
                "ffmpeg", "-v", "error", "-f", "wav", "-i", "pipe:0", *_mp3_out(), data=wav
            )
        except RenderError as exc:
            log.warning("mock_cic.tts_tone", reason=str(exc), text=text, voice=voice)
            return await self.tone(FALLBACK_TONE_MS)
        self._speech[key] = mp3
        return mp3

    async def tone(self, ms: int, frequency: int = 660) -> bytes:
        """A sine tone of ``ms`` milliseconds as MP3 (cached by length)."""
        if ms not in self._tones:
            source = f"sine=frequency={frequency}:sample_rate={MP3_RATE}:duration={ms / 1000:g}"
            self._tones[ms] = await _run(
                "ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, *_mp3_out()
            )
        return self._tones[ms]

    # serving ---------------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="mock-cic-voice-"))
            weakref.finalize(self, shutil.rmtree, self._directory, ignore_errors=True)
        return self._directory

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def publish(self, name: str, data: bytes, status: int | None = None) -> str:
        """Serve ``data`` at ``/voice/<name>`` (answering ``status`` instead, if given)."""
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if status is not None:
            self._statuses[name] = status
        return self.url(name)

    async def publish_hls(self, name: str, mp3: bytes, status: int | None = None) -> str:
        """Serve ``mp3`` as HLS at ``/voice/<name>/index.m3u8`` (MPEG-TS segments of ~1 s)."""
        folder = self.directory / name
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "source.mp3"
        source.write_bytes(mp3)
        await _run(
            "ffmpeg", "-v", "error", "-i", str(source), "-c:a", "copy", "-f", "hls",
            "-hls_time", str(HLS_SEGMENT_S), "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(folder / "segment%03d.ts"), str(folder / "index.m3u8"),
        )  # fmt: skip
        playlist = f"{name}/index.m3u8"
        if status is not None:
            self._statuses[playlist] = status
        return self.url(playlist)

    async def track_url(self) -> str:
        """The short track a default answer plays (a 4 s tone, made once)."""
        if not (self.directory / TRACK).is_file():
            self.publish(TRACK, await self.tone(TRACK_MS, frequency=440))
        return self.url(TRACK)

    def status(self, name: str) -> int | None:
        """The status forced for ``/voice/<name>`` (a Speak's ``url_status``), if any."""
        return self._statuses.get(name)

    def file(self, name: str) -> Path | None:
        if self._directory is None:
            return None
        base = self._directory.resolve()
        target = (base / name).resolve()
        return target if target.is_relative_to(base) and target.is_file() else None
