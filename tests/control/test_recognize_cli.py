"""``clova-client recognize`` run as a real process against the real ControlServer and
SpeechRecognizerAgent (Recognize goes to a fake stream)."""

from __future__ import annotations

import asyncio
import json
import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clova_client.agents.recognition import PART_BYTES
from clova_client.control import ControlServer
from tests.agents.voice_rig import VoiceRig, stop_capture_after
from tests.control.voice_client import FORMAT, pcm

from .conftest import StubHandler

CLI = Path(sys.executable).with_name("clova-client")


@pytest.fixture
async def server(
    sock_path: Path, handler: StubHandler, rig: VoiceRig
) -> AsyncIterator[ControlServer]:
    async with ControlServer(sock_path, handler, rig.recognizer) as running:
        yield running


def write_wav(path: Path, frames: bytes, rate: int = 16000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


async def recognize_cli(
    env: dict[str, str], *args: str, stdin: bytes | None = None
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(CLI),
        "recognize",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode is not None
    text = out.decode() + err.decode()
    assert "Traceback" not in text, text
    return proc.returncode, out.decode(), err.decode()


async def test_cli_recognize_a_16k_mono_wav(
    server: ControlServer,
    sock_path: Path,
    rig: VoiceRig,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    audio = pcm(32_000)  # one second
    wav = write_wav(tmp_path / "hello.wav", audio)
    code, out, err = await recognize_cli(clean_env, "--socket", str(sock_path), "--fast", str(wav))
    assert code == 0, out + err
    lines = out.splitlines()
    dialog = rig.stream.events[0].header.dialog_request_id
    assert lines == [
        f"started: dialogRequestId {dialog}",
        "answered: CIC said 200",
        "finished: the answer has been spoken",
    ]
    assert rig.stream.audio == audio
    assert [len(p) for _, p in rig.stream.parts] == [PART_BYTES] * 5
    assert rig.stream.events[0].payload["initiator"] == {"type": "TAP", "inputSource": "SELF"}


async def test_cli_stops_sending_at_stop_capture(
    server: ControlServer,
    sock_path: Path,
    rig: VoiceRig,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    stop_capture_after(rig, 2, "hello")
    audio = pcm(16 * 32_000)
    wav = write_wav(tmp_path / "long.wav", audio)
    code, out, _ = await recognize_cli(
        clean_env, "--socket", str(sock_path), "--fast", "--json", str(wav)
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["event"] for line in lines] == ["started", "StopCapture", "answered", "finished"]
    assert lines[1]["recognizedText"] == "hello"
    recognition_audio = rig.stream.audio
    assert len(recognition_audio) >= 2 * PART_BYTES
    assert recognition_audio == audio[: len(recognition_audio)]


async def test_cli_a_44k_wav_is_refused_with_the_daemons_message(
    server: ControlServer,
    sock_path: Path,
    rig: VoiceRig,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    wav = write_wav(tmp_path / "cd.wav", pcm(44_100 * 2), rate=44_100)
    code, out, _ = await recognize_cli(clean_env, "--socket", str(sock_path), "--fast", str(wav))
    assert code == 1
    assert out.splitlines() == [f"refused: audio rate 44100 not supported: {FORMAT}"]
    assert rig.stream.events == []


async def test_cli_a_failing_request_exits_1(
    server: ControlServer,
    sock_path: Path,
    rig: VoiceRig,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    rig.stream.status, rig.stream.problem = 500, "internal"
    wav = write_wav(tmp_path / "hello.wav", pcm(6400))
    code, out, _ = await recognize_cli(clean_env, "--socket", str(sock_path), "--fast", str(wav))
    assert code == 1
    assert out.splitlines()[-1] == "error: CIC answered 500: internal"


async def test_cli_without_a_daemon(tmp_path: Path, clean_env: dict[str, str]) -> None:
    wav = write_wav(tmp_path / "hello.wav", pcm(6400))
    code, _, err = await recognize_cli(
        clean_env, "--socket", str(tmp_path / "none.sock"), "--fast", str(wav)
    )
    assert code == 1 and "clova-client is not running" in err


async def test_cli_raw_pcm_from_standard_input(
    server: ControlServer, sock_path: Path, rig: VoiceRig, clean_env: dict[str, str]
) -> None:
    audio = pcm(10_000)
    code, out, _ = await recognize_cli(
        clean_env, "--socket", str(sock_path), "--fast", "--lang", "ja", "-", stdin=audio
    )
    assert code == 0, out
    assert rig.stream.audio == audio
    assert rig.stream.events[0].payload["lang"] == "ja"


async def test_cli_an_answer_with_nothing_pending_exits_1(
    server: ControlServer,
    sock_path: Path,
    rig: VoiceRig,
    tmp_path: Path,
    clean_env: dict[str, str],
) -> None:
    wav = write_wav(tmp_path / "yes.wav", pcm(6400))
    code, out, _ = await recognize_cli(
        clean_env, "--socket", str(sock_path), "--fast", "--answer", str(wav)
    )
    assert code == 1
    assert out.splitlines() == ["error: no ExpectSpeech is waiting for an answer"]
    assert rig.stream.events == []
