"""The scenario runner, run as the real CLI in a subprocess against a real mock and device."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.cli import load_tokens
from clova_client.mock_cic.scenario import ScenarioError, load_scenario, parse_scenario

from .helpers import FakeDevice

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
CLI = [sys.executable, "-m", "clova_client.mock_cic.cli"]

BROKEN = """
name: broken on purpose
device: default
steps:
  - push:
      directive:
        header: {namespace: AudioPlayer, name: Play}
        payload:
          audioItem:
            audioItemId: "b-1-${RUN}"
            stream: {token: b-tok, url: "${MEDIA_URL}/tone.wav", urlPlayable: true}
          playBehavior: REPLACE_ALL
  - wait_for: AudioPlayer.PlayStarted
    expect:
      context[AudioPlayer.PlaybackState].payload.playerActivity: PAUSED
      context[AudioPlayer.PlaybackState].payload.stream.token: b-tok
      event.payload.audioItemId: "b-1-${RUN}"
"""


GOAWAY = """
device: default
connect_timeout: 5
steps:
  - fault: {type: goaway, grace: 2}
  - wait_downchannel: {reopened: 1, timeout: 10}
  - fault: {type: answer_then_end_downchannel}
  - push:
      directive:
        header: {namespace: AudioPlayer, name: Play}
        payload:
          audioItem: {audioItemId: "g-1-${RUN}", stream: {token: g-1, url: "${MEDIA_URL}/tone.wav"}}
          playBehavior: REPLACE_ALL
  - wait_for: AudioPlayer.PlayStarted
    expect:
      context[AudioPlayer.PlaybackState].payload.stream.url: ${MEDIA_URL}/tone.wav
  - wait_downchannel: {reopened: 2, timeout: 10}
"""


async def run_cli(*args: str, within: float = 45) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    async with asyncio.timeout(within):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.fixture
async def mock() -> AsyncIterator[MockCicServer]:
    async with MockCicServer(media_dir=EXAMPLES / "media") as server:
        yield server


async def test_good_scenario_passes(mock: MockCicServer) -> None:
    async with FakeDevice.of(mock):
        code, out = await run_cli(
            "run-scenario", str(EXAMPLES / "play_pause.yaml"), "--control-url", mock.control_url
        )
    assert code == 0, out
    assert "PASS scenario" in out
    assert "ok   step 3: wait_for AudioPlayer.PlayStarted" in out


async def test_broken_scenario_fails_with_a_readable_diff(
    mock: MockCicServer, tmp_path: Path
) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(BROKEN)
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 1, out
    assert "FAIL step 2: wait_for AudioPlayer.PlayStarted" in out
    assert "2 field(s) differ" in out
    assert (
        "  context[AudioPlayer.PlaybackState].payload.playerActivity\n"
        '    expected: "PAUSED"\n'
        '    got:      "PLAYING"\n'
    ) in out
    run = re.search(r", run ([0-9a-f]{8})\n", out)
    assert run is not None, out
    assert (
        f'  event.payload.audioItemId\n    expected: "b-1-{run[1]}"\n    got:      <missing>' in out
    )
    assert "stream.token" not in out.split("the event was:")[0]  # that field matched


async def test_timeout_names_the_events_seen(mock: MockCicServer, tmp_path: Path) -> None:
    scenario = tmp_path / "timeout.yaml"
    scenario.write_text(
        "device: default\nconnect_timeout: 5\nsteps:\n"
        "  - wait_for: AudioPlayer.PlayFinished\n    timeout: 0.3\n"
    )
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 1, out
    assert "no AudioPlayer.PlayFinished #0 from device 'default'" in out


async def test_a_timed_out_wait_lists_only_this_runs_events(
    mock: MockCicServer, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(
        "device: default\nconnect_timeout: 5\nsteps:\n"
        "  - push:\n      directive:\n        header: {namespace: AudioPlayer, name: Play}\n"
        "        payload: {audioItem: {audioItemId: 'f-${RUN}', stream: {url: 'x:'}}}\n"
        "  - wait_for: AudioPlayer.PlayStarted\n"
    )
    second.write_text(
        "device: default\nconnect_timeout: 5\nsteps:\n"
        "  - push:\n      directive:\n"
        "        header: {namespace: PlaybackController, name: Pause}\n"
        "        payload: {}\n"
        "  - wait_for: AudioPlayer.PlayPaused\n"
        "  - wait_for: AudioPlayer.PlayStarted\n    timeout: 0.3\n"
    )
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(first), "--control-url", mock.control_url)
        assert code == 0, out
        code, out = await run_cli("run-scenario", str(second), "--control-url", mock.control_url)
    assert code == 1, out
    # the mock holds the first run's PlayStarted; the second run neither takes it nor lists it
    assert [e.name for e in mock.events("default")] == [
        "AudioPlayer.PlayStarted",
        "AudioPlayer.PlayPaused",
    ]
    assert (
        "FAIL step 3: wait_for AudioPlayer.PlayStarted\n"
        "  no AudioPlayer.PlayStarted #0 from device 'default' within 0.3 s; "
        "events received since the scenario started: AudioPlayer.PlayPaused\n"
    ) in out


async def test_runner_rides_out_refused_connections(mock: MockCicServer, tmp_path: Path) -> None:
    scenario = tmp_path / "reconnect.yaml"
    scenario.write_text(
        "device: default\nconnect_timeout: 5\nsteps:\n"
        "  - fault: {type: refuse_connections, seconds: 0.5}\n"
        "  - wait_downchannel: {reopened: 1, timeout: 10}\n"
        "  - fault: {type: drop_downchannel}\n"
        "  - wait_downchannel: {reopened: 2, timeout: 10}\n"
    )
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 0, out
    assert mock.device("default").downchannel_opens == 3


async def test_goaway_and_answer_then_end_in_a_scenario(
    mock: MockCicServer, tmp_path: Path
) -> None:
    scenario = tmp_path / "goaway.yaml"
    scenario.write_text(GOAWAY)
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 0, out
    assert mock.connections[0].going_away and not mock.connections[0].open
    assert f"{mock.control_url}/media/tone.wav" in str(mock.events("default")[0].message)


async def test_reopened_counts_from_the_start_even_after_expect_order(
    mock: MockCicServer, tmp_path: Path
) -> None:
    scenario = tmp_path / "reopen_order.yaml"
    scenario.write_text(
        "device: default\nconnect_timeout: 5\nsteps:\n"
        "  - fault: {type: drop_downchannel}\n"
        "  - wait_downchannel: {reopened: 1, timeout: 10}\n"
        "  - push:\n"
        "      directive: {header: {namespace: PlaybackController, name: Stop}, payload: {}}\n"
        "  - wait_for: AudioPlayer.PlayStopped\n"
        "  - expect_order: [AudioPlayer.PlayStopped]\n"
        "  - wait_downchannel: {reopened: 1, timeout: 0.5}\n"
    )
    async with FakeDevice.of(mock):
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 0, out
    assert mock.device("default").downchannel_opens == 2


async def test_invalid_scenario_file_exits_2(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("steps:\n  - jump: 3\n")
    code, out = await run_cli("run-scenario", str(scenario), "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "step 1: needs exactly one of push" in out


async def test_serve_runs_its_scenario_once_a_client_connects() -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "serve",
        "--port",
        "0",
        "--control-port",
        "0",
        "--media-dir",
        str(EXAMPLES / "media"),
        "--scenario",
        str(EXAMPLES / "play_pause.yaml"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert process.stdout is not None
    async with asyncio.timeout(45):
        lines = [(await process.stdout.readline()).decode() for _ in range(3)]
        assert lines[0].startswith("mock CIC listening on https://127.0.0.1:")
        assert lines[1].startswith("mock control API, media and /token on http://127.0.0.1:")
        assert lines[2].startswith("mock CA certificate: ")
        base_url, ca_file = (line.rsplit(" ", 1)[1].strip() for line in (lines[0], lines[2]))
        async with FakeDevice(base_url, "test-token", Path(ca_file)):
            rest = (await process.stdout.read()).decode()
            code = await process.wait()
    assert code == 0, rest
    assert "PASS scenario 'play with StreamRequested, then pause'" in rest


def test_example_scenarios_and_tokens_file_are_valid() -> None:
    for path in EXAMPLES.glob("*.yaml"):
        if path.name != "tokens.yaml":
            assert load_scenario(path).steps
    tokens, refresh = load_tokens(EXAMPLES / "tokens.yaml")
    assert tokens["test-token"] == "default"
    assert refresh is not None and refresh["refresh-kitchen"] == "kitchen"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"steps": []}, "'steps' must be a non-empty list"),
        ({"steps": [{"sleep": -1}]}, "expected a number >= 0"),
        ({"steps": [{"wait_for": "A.B", "expect": ["x"]}]}, "expect takes a mapping"),
        ({"steps": [{"push": {}, "wait_for": "A.B"}]}, "needs exactly one of"),
        ({"steps": [{"push": {"directive": {}}, "bogus": 1}]}, "unknown key(s) ['bogus']"),
        ({"stepz": []}, "unknown top-level key(s) ['stepz']"),
        ({"steps": [{"wait_for": "A.B", "index": "1"}]}, "step 1 index: expected a whole"),
        ({"steps": [{"wait_for": "A.B", "index": -1}]}, "step 1 index: expected a whole"),
        ({"steps": [{"wait_for": "A.B", "timeout": "5s"}]}, "step 1 timeout: expected a number"),
        ({"steps": [{"wait_for": "A.B", "timeout": float("nan")}]}, "step 1 timeout"),
        ({"steps": [{"wait_downchannel": {"timeout": None}}]}, "wait_downchannel.timeout"),
        ({"steps": [{"wait_downchannel": {"reopened": 1.5}}]}, "wait_downchannel.reopened"),
        ({"steps": [{"wait_downchannel": 1, "timeout": "x"}]}, "step 1 timeout"),
        ({"steps": [{"responders": {"playlist": [1]}}]}, "step 1 responders: playlist[0]"),
        ({"responders": {"stream_deliver": {"a": 1}}, "steps": [{"sleep": 0}]}, "responders:"),
        ({"device": ["a"], "steps": [{"sleep": 0}]}, "'device' must be a device id"),
        ({"steps": [{"fault": {"type": "gowaay"}}]}, "unknown fault type 'gowaay'"),
        ({"steps": [{"fault": {"type": "goaway", "grac": 1}}]}, "unknown parameter(s) ['grac']"),
    ],
)
def test_scenario_errors_are_readable(data: object, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ("  - wait_for: A.B\n    index: first\n", "step 2 index: expected a whole number"),
        ("  - wait_for: A.B\n    timeout: soon\n", "step 2 timeout: expected a number"),
        ("  - wait_downchannel: {reopened: 1, timeout: [3]}\n", "step 2 wait_downchannel.timeout"),
        ("  - responders: {playlist: [oops]}\n", "step 2 responders: playlist[0] must be"),
    ],
)
async def test_bad_step_options_exit_2_with_one_line(
    mock: MockCicServer, tmp_path: Path, steps: str, reason: str
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("device: default\nconnect_timeout: null\nsteps:\n  - sleep: 0\n" + steps)
    code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 2, out
    assert "Traceback" not in out
    (line,) = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert reason in line, out
    assert mock.responders.playlist == []


async def test_a_server_answering_non_json_exits_2_naming_url_and_status(tmp_path: Path) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=500, text="<html><body>Internal Server Error</body></html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    scenario = tmp_path / "ok.yaml"
    scenario.write_text("device: default\nconnect_timeout: null\nsteps:\n  - sleep: 0\n")
    async with TestServer(app) as server:
        base = str(server.make_url("")).rstrip("/")
        code, out = await run_cli("run-scenario", str(scenario), "--base-url", base)
    assert code == 2, out
    assert "Traceback" not in out
    assert f"ERROR GET {base}/_mock/devices -> 500: not a JSON object" in out
