"""A bundled scenario run twice against one real daemon: both runs pass, because ``${RUN}`` gives
every run its own audioItemIds. With ``fixed_ids: true`` the second run's Play is dropped as a
duplicate, and the timed-out wait lists only the events of that run."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess
from .helpers import ACCESS_TOKEN, DEVICE, REFRESH_TOKEN

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
RUNNER = [sys.executable, "-m", "clova_client.mock_cic.cli", "run-scenario"]


@pytest.fixture
async def mock() -> AsyncIterator[MockCicServer]:
    """The e2e speaker's tokens, the bundled scenarios' media (tone.wav)."""
    server = MockCicServer(
        tokens={ACCESS_TOKEN: DEVICE},
        refresh_tokens={REFRESH_TOKEN: DEVICE},
        media_dir=EXAMPLES / "media",
    )
    async with server:
        yield server


def play_pause(tmp_path: Path, *, fixed_ids: bool = False) -> Path:
    """examples/scenarios/play_pause.yaml for the e2e device (fixed ids: without ``${RUN}``)."""
    text = (EXAMPLES / "play_pause.yaml").read_text(encoding="utf-8")
    if fixed_ids:
        text = text.replace("-${RUN}", "")
    data = yaml.safe_load(text)
    data["device"] = DEVICE
    if fixed_ids:
        data.update(fixed_ids=True, timeout=3)
    path = tmp_path / ("fixed.yaml" if fixed_ids else "play_pause.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


async def run_scenario(path: Path, mock: MockCicServer) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *RUNNER,
        str(path),
        "--control-url",
        mock.control_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    async with asyncio.timeout(60):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


def run_id(out: str) -> str:
    found = re.search(r", run ([0-9a-f]{8})$", out, re.MULTILINE)
    assert found is not None, out
    return found[1]


async def test_the_same_scenario_passes_twice_against_one_daemon(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    scenario = play_pause(tmp_path)
    code, first = await run_scenario(scenario, mock)
    assert code == 0, first
    code, second = await run_scenario(scenario, mock)  # the first run's item is still paused
    assert code == 0, second
    runs = run_id(first), run_id(second)
    assert runs[0] != runs[1]
    requested = mock.events(DEVICE, "AudioPlayer.StreamRequested")
    assert [e.message["event"]["payload"]["audioItemId"] for e in requested] == [
        f"item-1-{run}" for run in runs
    ]
    assert not running.logged("player.play_dropped")


async def test_fixed_ids_repeat_is_dropped_and_the_timeout_lists_this_runs_events(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    scenario = play_pause(tmp_path, fixed_ids=True)
    code, first = await run_scenario(scenario, mock)
    assert code == 0, first
    code, second = await run_scenario(scenario, mock)
    assert code == 1, second
    assert running.logged("player.play_dropped", audio_item_id="item-1")
    (line,) = [line for line in second.splitlines() if line.startswith("  no ")]
    assert line == (
        f"  no AudioPlayer.StreamRequested #0 from device {DEVICE!r} within 3 s; "
        "events received since the scenario started: none"
    ), second
    assert mock.events(DEVICE, "AudioPlayer.StreamRequested")  # the first run's, not listed
