"""What the voice end-to-end tests share: utterances, the local client's side, log timelines."""

from __future__ import annotations

import asyncio
import json
import math
import struct
import wave
from pathlib import Path
from typing import Any

from clova_client.mock_cic import MockCicServer, RecordedEvent

from .conftest import CliResult, DaemonProcess
from .helpers import DEVICE

RATE = 16000
FRAME = 6400


def utterance(path: Path, seconds: float = 2.4, rate: int = RATE, channels: int = 1) -> bytes:
    """A WAV "utterance" (a warbling tone) and its PCM frames."""
    samples = []
    for n in range(int(seconds * rate)):
        value = int(6000 * math.sin(2 * math.pi * (300 + 80 * math.sin(n / 900)) * n / rate))
        samples.extend([value] * channels)
    frames = struct.pack(f"<{len(samples)}h", *samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return frames


async def recognize(daemon: DaemonProcess, wav: Path, *args: str) -> CliResult:
    return await daemon.cli(
        "recognize", str(wav), *args, "--config", str(daemon.config_file), timeout=60
    )


def lines(result: CliResult) -> list[dict[str, Any]]:
    """The daemon's lines as ``recognize --json`` printed them."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def told(result: CliResult) -> list[str]:
    return [str(line.get("event", line.get("error"))) for line in lines(result)]


def script(mock: MockCicServer, *answers: dict[str, Any], default: Any = None) -> None:
    body: dict[str, Any] = {"answers": list(answers)}
    if default is not None:
        body["default"] = default
    mock.voice.script.update(body)


def speech_state(event: RecordedEvent) -> dict[str, Any] | None:
    for item in event.message.get("context", []):
        if item["header"] == {"namespace": "SpeechSynthesizer", "name": "SpeechState"}:
            state: dict[str, Any] = item["payload"]
            return state
    return None


def audio_state(event: RecordedEvent) -> dict[str, Any]:
    for item in event.message.get("context", []):
        if item["header"] == {"namespace": "AudioPlayer", "name": "PlaybackState"}:
            state: dict[str, Any] = item["payload"]
            return state
    raise AssertionError(f"no AudioPlayer.PlaybackState in {event.name}")


def events_named(mock: MockCicServer, *names: str) -> list[RecordedEvent]:
    return [e for e in mock.events(DEVICE) if e.name in names]


def log_events(daemon: DaemonProcess) -> list[str]:
    """The daemon's log, a word per line: the line's name, and the event or directive it is."""
    out = []
    for record in daemon.log_records():
        name = str(record.get("event"))
        detail = record.get("event_name") or record.get("directive") or record.get("holder")
        out.append(f"{name}:{detail}" if detail else name)
    return out


async def vanishing_client(daemon: DaemonProcess, pcm: bytes, frames: int) -> list[bytes]:
    """A voice component that sends a header and ``frames`` frames, then dies (closes without
    the end frame); the lines it got before."""
    path = daemon.runtime_dir / "control.sock"
    reader, writer = await asyncio.open_unix_connection(str(path))
    header = {
        "cmd": "recognize",
        "v": 1,
        "audio": {"encoding": "s16le", "rate": RATE, "channels": 1},
    }
    writer.write(json.dumps(header).encode() + b"\n")
    for n in range(frames):
        chunk = pcm[n * FRAME : (n + 1) * FRAME]
        writer.write(len(chunk).to_bytes(4, "big") + chunk)
        await writer.drain()
        await asyncio.sleep(0.2)
    got = [await reader.readline()]
    writer.transport.abort()  # as a crash: no end frame
    return got
