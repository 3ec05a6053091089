"""``clova-client recognize FILE|-``: one voice request through the running daemon, as the
speaker's voice component makes it (control socket, voice protocol 1: ``control/voice.py``).

The audio is a WAV file (its format is declared as it is: the daemon refuses anything but
16 kHz 16-bit mono) or raw 16 kHz 16-bit mono little-endian PCM (``-``: standard input, or a
file not in WAV). It is sent in 200 ms frames at the pace a microphone would (``--fast``: as
fast as the socket takes it), until CIC says StopCapture or the audio ends; then the daemon's
lines are printed until the answer has been spoken.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import wave
from typing import IO, TYPE_CHECKING, Any

from .common import EXIT_CONFIG, EXIT_ERROR, Failure, socket_of, socket_options

if TYPE_CHECKING:
    from .common import Commands

FRAME_BYTES = 6400
"""200 ms of 16 kHz 16-bit mono."""
FRAME_S = 0.2
ANSWER_WAIT_S = 120.0
"""How long to wait for the daemon's last line after the audio was sent."""


def read_audio(source: str) -> tuple[bytes, dict[str, Any]]:
    """The PCM bytes and the format they are in (as the header declares it)."""
    try:
        raw: IO[bytes] = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
        with raw:
            data = raw.read()
    except OSError as exc:
        raise Failure(f"recognize: {source}: {exc.strerror or exc}", EXIT_CONFIG) from None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        import io

        try:
            with wave.open(io.BytesIO(data)) as w:
                audio = {
                    "encoding": f"s{8 * w.getsampwidth()}le" if w.getsampwidth() > 1 else "u8",
                    "rate": w.getframerate(),
                    "channels": w.getnchannels(),
                }
                return w.readframes(w.getnframes()), audio
        except (wave.Error, EOFError) as exc:
            raise Failure(f"recognize: {source}: not a WAV file Python can read: {exc}") from None
    return data, {"encoding": "s16le", "rate": 16000, "channels": 1}


def _say(line: dict[str, Any]) -> str:
    event = line.get("event")
    if "ok" in line and not line.get("ok"):
        return f"refused: {line.get('error')}"
    if event == "started":
        return f"started: dialogRequestId {line.get('dialogRequestId')}"
    if event == "StopCapture":
        text = f" (heard {line['recognizedText']!r})" if line.get("recognizedText") else ""
        return f"StopCapture: audio ended{text}"
    if event == "ExpectSpeech":
        return (
            f"ExpectSpeech: CIC waits {line.get('timeoutInMilliseconds')} ms for an answer "
            "(clova-client recognize --answer FILE)"
        )
    if event == "answered":
        return f"answered: CIC said {line.get('status')}"
    if event == "finished":
        return "finished: the answer has been spoken"
    if event == "error":
        return f"error: {line.get('reason')}"
    return json.dumps(line, ensure_ascii=False)


class _Lines:
    """Reads the daemon's lines on a thread; notes StopCapture and the last line."""

    def __init__(self, sock: socket.socket, raw: bool) -> None:
        self.stop_capture = threading.Event()
        self.done = threading.Event()
        self.outcome: str | None = None
        self._file = sock.makefile("rb")
        self._raw = raw
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for text in self._file:
                line = json.loads(text)
                print(json.dumps(line) if self._raw else _say(line), flush=True)
                event = line.get("event")
                if event in ("StopCapture", "error", "finished") or "ok" in line:
                    self.stop_capture.set()
                if event in ("finished", "error") or "ok" in line:
                    self.outcome = "finished" if event == "finished" else "error"
        except (OSError, ValueError):
            pass
        finally:
            self.stop_capture.set()
            self.done.set()


def _recognize(args: argparse.Namespace) -> int:
    pcm, audio = read_audio(args.file)
    header: dict[str, Any] = {"cmd": "recognize", "v": 1, "audio": audio, "answer": args.answer}
    header["initiator"] = {"type": args.initiator, "inputSource": "SELF"}
    if args.lang:
        header["lang"] = args.lang
    path = socket_of(args)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError as exc:
        raise Failure(f"clova-client is not running ({path}: {exc.strerror})") from None
    with sock:
        sock.sendall(json.dumps(header).encode() + b"\n")
        lines = _Lines(sock, args.json)
        start = time.monotonic()
        try:
            for n, at in enumerate(range(0, len(pcm), FRAME_BYTES)):
                if lines.stop_capture.is_set():
                    break
                frame = pcm[at : at + FRAME_BYTES]
                sock.sendall(len(frame).to_bytes(4, "big") + frame)
                if not args.fast:
                    time.sleep(max(0.0, start + (n + 1) * FRAME_S - time.monotonic()))
            sock.sendall((0).to_bytes(4, "big"))
        except OSError:
            pass  # the daemon closed: its last line says why
        lines.done.wait(ANSWER_WAIT_S)
    return 0 if lines.outcome == "finished" else EXIT_ERROR


def add_recognize(commands: Commands) -> None:
    p = commands.add_parser(
        "recognize",
        help="send a voice request (a WAV or raw PCM file) through the running daemon",
        description="Send FILE (WAV, or raw 16 kHz 16-bit mono little-endian PCM; - reads "
        "standard input) to CIC as SpeechRecognizer.Recognize through the running daemon, as "
        "the speaker's voice component does: 200 ms frames at a microphone's pace, until CIC "
        "says StopCapture. Prints what the daemon tells (StopCapture, ExpectSpeech, ...) until "
        "the answer has been spoken. Exit 1 when the daemon refuses or the request fails.",
    )
    p.add_argument("file", metavar="FILE", help="a WAV file, a raw PCM file, or -")
    p.add_argument(
        "--answer", action="store_true", help="answer the pending ExpectSpeech (a second turn)"
    )
    p.add_argument(
        "--initiator",
        choices=["TAP", "PRESS_AND_HOLD", "WAKEWORD"],
        default="TAP",
        help="how the user called Clova (default TAP)",
    )
    p.add_argument("--lang", choices=["ko", "en", "ja"], help="default: the daemon's [voice] lang")
    p.add_argument("--fast", action="store_true", help="send as fast as possible, not real time")
    p.add_argument("--json", action="store_true", help="print the daemon's lines as JSON")
    socket_options(p)
    p.set_defaults(func=_recognize)
