"""A voice protocol 1 client for the tests: the header, frames, the daemon's lines."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

from tests.agents.voice_rig import VoiceRig

AUDIO = {"encoding": "s16le", "rate": 16000, "channels": 1}
FORMAT = f"CIC takes 16 kHz 16-bit mono little-endian PCM ({AUDIO})"


def header(**fields: Any) -> dict[str, Any]:
    return {"cmd": "recognize", "v": 1, "audio": dict(AUDIO)} | fields


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


END = frame(b"")


def pcm(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


class Client:
    """One voice connection: the header line, then frames; the daemon's lines read back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, path: Path, head: dict[str, Any]) -> Client:
        reader, writer = await asyncio.open_unix_connection(str(path))
        writer.write(json.dumps(head).encode() + b"\n")
        await writer.drain()
        return cls(reader, writer)

    async def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))
        await self.writer.drain()

    async def line(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.reader.readline(), 10)
        assert raw, "the daemon closed the connection"
        line: dict[str, Any] = json.loads(raw)
        return line

    async def rest(self) -> list[dict[str, Any]]:
        """Every line until the daemon closes the connection."""
        lines = []
        while raw := await asyncio.wait_for(self.reader.readline(), 10):
            lines.append(json.loads(raw))
        return lines

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def refused(path: Path, head: dict[str, Any]) -> list[dict[str, Any]]:
    client = await Client.open(path, head)
    lines = await client.rest()
    await client.close()
    return lines


async def until(condition: Any, rig: VoiceRig) -> None:
    """Let the loop run (socket I/O) until ``condition()`` holds."""
    for _ in range(2500):
        if condition():
            return
        await asyncio.sleep(0.002)
        await rig.settle()
    raise AssertionError("condition never held")
