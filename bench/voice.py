"""Voice benchmark: the real ``clova-client run`` process (real libVLC, null output) against the
mock CIC over HTTP/2 + TLS, driven as the voice component drives it (the control socket's voice
protocol, 200 ms frames of 16 kHz PCM at a microphone's pace), while music plays.

    .venv/bin/python bench/voice.py [--rounds N] [--cli PATH] [--frame-ms 200|20]

About a minute. Prints a table, then one JSON object as its last line (no assertions; the
figures go to docs/PERFORMANCE.md):

* ``first_audio_ms``: the local client wrote its first frame -> the mock received the first
  audio bytes of the Recognize (header, context, HTTP/2 stream, the first 200 ms part: with
  ``--frame-ms 20`` the daemon waits for ten frames to make it).
* ``part_lag_ms`` / ``part_lag_max_ms``: for every later piece the mock received, its arrival
  minus the moment the local client wrote the frame that completed it (median / worst).
* ``baseline_first_audio_ms``: the same, with this process streaming the same audio straight to
  the mock over its own HTTP/2 connection (httpx, no daemon): transport and mock alone. The
  ratio is the daemon's over it.
* ``speech_started_ms``: the daemon logged the Speak (its attachment had arrived: the inbox
  hands a Speak on only with it) -> it logged SpeechStarted (the speech's first sound);
  ``speech_started_at_mock_ms``: the mock wrote the answer -> it recorded SpeechStarted.
* ``duck_ms``: the local client sent its header -> the daemon logged ``mixer.ducked`` (logged
  once libVLC has the new volume).
* ``restore_ms``: the daemon logged SpeechFinished (the dialog's end: nothing else pending) ->
  it logged ``mixer.restored``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import ssl
import statistics
import struct
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clova_client.mock_cic import MockCicServer
from clova_client.protocol.multipart import streamed_event
from tests.support.media import media_file

DEVICE, BASE_DEVICE = "bench-voice", "bench-baseline"
ACCESS, REFRESH, BASE_ACCESS = "bench-voice-token", "bench-voice-refresh", "bench-base-token"
CLI = Path(sys.executable).parent / "clova-client"
FRAME, FRAME_S = 6400, 0.2
FORMAT = "AUDIO_L16_RATE_16000_CHANNELS_1"


def utterance(seconds: float = 2.4) -> bytes:
    n = int(16000 * seconds)
    return struct.pack(f"<{n}h", *(int(5000 * math.sin(i / 7)) for i in range(n)))


class Speaker:
    """The daemon process, logging JSON lines to a file."""

    def __init__(self, cli: Path, mock: MockCicServer, home: Path) -> None:
        token = home / "token.json"
        token.write_text(json.dumps({"access_token": ACCESS, "refresh_token": REFRESH}))
        token.chmod(0o600)
        self.runtime = home / "run"
        self.runtime.mkdir(mode=0o700)
        self.log = home / "daemon.log"
        keep = {k: v for k, v in os.environ.items() if not k.startswith("CLOVA_")}
        self.env = {
            **keep,
            "CLOVA_STATE_DIR": str(home / "state"),
            "CLOVA_RUNTIME_DIR": str(self.runtime),
            "CLOVA_CIC__BASE_URL": mock.base_url,
            "CLOVA_CIC__CA_FILE": str(mock.ca_file),
            "CLOVA_AUTH__AUTH_URL": mock.auth_url,
            "CLOVA_AUTH__ACCESS_TOKEN_FILE": str(token),
            "CLOVA_PLAYER__AUDIO_OUTPUT": "null",
        }
        self.cli = cli
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, mock: MockCicServer) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                str(self.cli), "run", "--log-format", "json", env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        await mock.wait_downchannel(DEVICE, timeout=30)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 30)

    def records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "timestamp" in record:
                record["t"] = datetime.fromisoformat(record["timestamp"]).timestamp()
                out.append(record)
        return out


async def one_round(speaker: Speaker, pcm: bytes, frame: int = FRAME) -> dict[str, Any]:
    """One recognition as the voice component makes it; the send times of its frames."""
    reader, writer = await asyncio.open_unix_connection(str(speaker.runtime / "control.sock"))
    header = {"cmd": "recognize", "v": 1, "initiator": {"type": "TAP", "inputSource": "SELF"},
              "audio": {"encoding": "s16le", "rate": 16000, "channels": 1}}  # fmt: skip
    header_at = time.time()
    writer.write(json.dumps(header).encode() + b"\n")
    await writer.drain()
    stop = asyncio.Event()
    said: list[dict[str, Any]] = []

    async def listen() -> None:
        while line := await reader.readline():
            said.append(json.loads(line))
            if said[-1].get("event") in ("StopCapture", "error"):
                stop.set()
        stop.set()

    listening = asyncio.create_task(listen())
    sent: list[float] = []
    start = time.monotonic()
    pace = frame / (FRAME / FRAME_S)
    for n in range(0, len(pcm), frame):
        if stop.is_set():
            break
        piece = pcm[n : n + frame]
        sent.append(time.time())
        writer.write(len(piece).to_bytes(4, "big") + piece)
        await writer.drain()
        await asyncio.sleep(max(0.0, start + len(sent) * pace - time.monotonic()))
    writer.write((0).to_bytes(4, "big"))
    await writer.drain()
    await asyncio.wait_for(listening, 60)
    writer.close()
    return {"header_at": header_at, "sent": sent, "said": said}


def part_lags(
    arrivals: list[tuple[float, int]], sent: list[float], frame_bytes: int = FRAME
) -> list[float]:
    """Each arrival minus the send time of the frame that completed its bytes."""
    lags, total = [], 0
    for at, size in arrivals:
        total += size
        frame = min(len(sent) - 1, max(0, math.ceil(total / frame_bytes) - 1))
        lags.append((at - sent[frame]) * 1000)
    return lags


async def baseline(mock: MockCicServer, pcm: bytes, runs: int) -> list[float]:
    """The same audio streamed straight to the mock (its own HTTP/2 connection, no daemon)."""
    out = []
    context = ssl.create_default_context(cafile=str(mock.ca_file))
    headers = {
        "Authorization": f"Bearer {BASE_ACCESS}",
        "User-Agent": "clova-client/bench/1.0.0 (Linux 6.1;x86_64)",
    }
    client = httpx.AsyncClient(http2=True, verify=context, base_url=mock.base_url)
    async with client, client.stream("GET", "/v1/directives", headers=headers, timeout=None):
        if True:
            await mock.wait_downchannel(BASE_DEVICE, timeout=10)
            for _ in range(runs):
                mock.voice.script.update({"answers": [{"speak": [], "then": None}]})
                message = {"context": [], "event": {"header": {
                    "namespace": "SpeechRecognizer", "name": "Recognize",
                    "messageId": str(uuid.uuid4()), "dialogRequestId": str(uuid.uuid4())},
                    "payload": {"lang": "ko", "format": FORMAT}}}  # fmt: skip
                body = streamed_event(message)
                first: list[float] = []

                async def content(
                    body: Any = body, first: list[float] = first
                ) -> AsyncIterator[bytes]:
                    yield body.head
                    start = time.monotonic()
                    for k, n in enumerate(range(0, len(pcm), FRAME)):
                        if not first:
                            first.append(time.time())
                        yield pcm[n : n + FRAME]
                        await asyncio.sleep(max(0.0, start + (k + 1) * FRAME_S - time.monotonic()))
                    yield body.tail

                count = len(mock.events(BASE_DEVICE, "SpeechRecognizer.Recognize"))
                hdrs = {**headers, "Content-Type": body.content_type}
                response = await client.post("/v1/events", content=content(), headers=hdrs)
                response.raise_for_status()
                event = await mock.wait_event(
                    BASE_DEVICE, "SpeechRecognizer.Recognize", index=count, timeout=10
                )
                out.append((event.audio_arrivals[0][0] - first[0]) * 1000)
    return out


def between(
    records: list[dict[str, Any]], start: dict[str, Any], end: dict[str, Any], after: float
) -> float:
    """ms from the first record matching ``start`` (at or after ``after``) to the next matching
    ``end``."""

    def match(r: dict[str, Any], want: dict[str, Any]) -> bool:
        return all(r.get(k) == v for k, v in want.items())

    first = next(r for r in records if r["t"] >= after and match(r, start))
    last = next(r for r in records if r["t"] >= first["t"] and match(r, end))
    return float(last["t"] - first["t"]) * 1000


def row(name: str, values: list[float], unit: str = "ms") -> str:
    med = statistics.median(values)
    return f"| {name:<46} | {med:>8.1f} | {min(values):>8.1f} | {max(values):>8.1f} | {len(values):>3} | {unit}"  # noqa: E501


async def main(rounds: int, cli: Path, frame: int) -> None:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    pcm = utterance()
    with tempfile.TemporaryDirectory(prefix="clova-bench-voice-") as tmp:
        home = Path(tmp)
        media = home / "media"
        music = media_file(media, "mp3", 120_000).name
        mock = MockCicServer(
            tokens={ACCESS: DEVICE, BASE_ACCESS: BASE_DEVICE},
            refresh_tokens={REFRESH: DEVICE},
            media_dir=media,
        )
        async with mock:
            base = await baseline(mock, pcm, rounds)
            speaker = Speaker(cli, mock, home)
            await speaker.start(mock)
            try:
                header = {"namespace": "AudioPlayer", "name": "Play", "messageId": "m-1"}
                stream = {"token": "music", "url": mock.media_url(music), "urlPlayable": True}
                payload = {"audioItem": {"audioItemId": "music", "stream": stream},
                           "playBehavior": "REPLACE_ALL"}  # fmt: skip
                await mock.push(DEVICE, {"directive": {"header": header, "payload": payload}})
                await mock.wait_event(DEVICE, "AudioPlayer.PlayStarted", timeout=30)
                figures: dict[str, list[float]] = {k: [] for k in (
                    "first", "lag", "started", "started_mock", "duck", "restore")}  # fmt: skip
                for i in range(rounds):
                    mock.voice.script.update(
                        {"answers": [{"speak": "Here is your music", "then": None}]}
                    )
                    done = await one_round(speaker, pcm, frame)
                    await mock.wait_event(
                        DEVICE, "SpeechSynthesizer.SpeechFinished", index=i, timeout=30
                    )
                    await asyncio.sleep(0.8)  # the restore's log line
                    event = mock.events(DEVICE, "SpeechRecognizer.Recognize")[i]
                    arrivals = list(event.audio_arrivals)
                    figures["first"].append((arrivals[0][0] - done["sent"][0]) * 1000)
                    figures["lag"] += part_lags(arrivals, done["sent"], frame)[1:]
                    records = speaker.records()
                    after = done["header_at"] - 0.05
                    figures["duck"].append(
                        (
                            next(
                                r["t"]
                                for r in records
                                if r["t"] >= after and r["event"] == "mixer.ducked"
                            )
                            - done["header_at"]
                        )
                        * 1000
                    )
                    figures["started"].append(
                        between(
                            records,
                            {"event": "directive_received", "directive": "SpeechSynthesizer.Speak"},
                            {"event": "event", "event_name": "SpeechSynthesizer.SpeechStarted"},
                            after,
                        )
                    )
                    figures["restore"].append(
                        between(
                            records,
                            {"event": "event", "event_name": "SpeechSynthesizer.SpeechFinished"},
                            {"event": "mixer.restored"},
                            after,
                        )
                    )
                    answered = mock.voice.answered[-1]
                    started = mock.events(DEVICE, "SpeechSynthesizer.SpeechStarted")[i]
                    assert answered.answered_at is not None
                    figures["started_mock"].append(
                        (started.received_at - answered.answered_at) * 1000
                    )
            finally:
                await speaker.stop()

    print(f"| {'figure':<46} | {'median':>8} | {'min':>8} | {'max':>8} | {'n':>3} | unit")
    print(f"|{'-' * 48}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 5}|-----")
    print(row("client's first frame -> mock has audio (daemon)", figures["first"]))
    print(row("first frame -> mock has audio (direct, baseline)", base))
    print(row("later parts: frame written -> at the mock", figures["lag"]))
    print(row("Speak (attachment in) -> SpeechStarted, daemon", figures["started"]))
    print(row("answer written -> SpeechStarted at the mock", figures["started_mock"]))
    print(row("recognition start -> music ducked", figures["duck"]))
    print(row("SpeechFinished -> music restored", figures["restore"]))
    first, base_first = statistics.median(figures["first"]), statistics.median(base)
    print(json.dumps({
        "first_audio_ms": round(first, 1),
        "baseline_first_audio_ms": round(base_first, 1),
        "first_audio_over_baseline": round(first / base_first, 2) if base_first else None,
        "part_lag_ms": round(statistics.median(figures["lag"]), 1),
        "part_lag_max_ms": round(max(figures["lag"]), 1),
        "speech_started_ms": round(statistics.median(figures["started"]), 1),
        "speech_started_at_mock_ms": round(statistics.median(figures["started_mock"]), 1),
        "duck_ms": round(statistics.median(figures["duck"]), 1),
        "duck_max_ms": round(max(figures["duck"]), 1),
        "restore_ms": round(statistics.median(figures["restore"]), 1),
        "restore_max_ms": round(max(figures["restore"]), 1),
        "rounds": rounds,
        "client_frame_ms": round(frame / 32),
    }))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli", type=Path, default=CLI)
    parser.add_argument(
        "--frame-ms", type=int, default=200, help="the local client's frames (default 200)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.cli, args.frame_ms * 32))
