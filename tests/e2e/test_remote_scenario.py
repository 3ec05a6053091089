"""``examples/scenarios/remote_control.yaml`` ("remote control from the app") run by the real
scenario runner against the real daemon and the mock over HTTP/2 + TLS, twice (``${RUN}``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess
from .helpers import ACCESS_TOKEN, DEVICE, REFRESH_TOKEN
from .test_scenario_repeat import EXAMPLES, run_id, run_scenario

pytestmark = pytest.mark.e2e


@pytest.fixture
async def mock() -> AsyncIterator[MockCicServer]:
    server = MockCicServer(
        tokens={ACCESS_TOKEN: DEVICE},
        refresh_tokens={REFRESH_TOKEN: DEVICE},
        media_dir=EXAMPLES / "media",
    )
    async with server:
        yield server


async def test_remote_control_example_passes_against_the_daemon(
    mock: MockCicServer, running: DaemonProcess, tmp_path: Path
) -> None:
    data = yaml.safe_load((EXAMPLES / "remote_control.yaml").read_text(encoding="utf-8"))
    data["device"] = DEVICE
    scenario = tmp_path / "remote_control.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    outputs = []
    for _ in range(2):
        code, out = await run_scenario(scenario, mock)
        assert code == 0, out
        assert "PASS scenario 'remote control from the app'" in out
        outputs.append(out)
    run = run_id(outputs[-1])
    (play,) = [
        e
        for e in mock.events(DEVICE, "PlaybackController.PlayCommandIssued")
        if e.message["event"]["payload"]["token"] == f"remote-2-{run}"
    ]
    dialog = play.message["event"]["header"]["dialogRequestId"]
    # CIC's answer (the Play of that song) came under the Expect's dialogRequestId
    assert running.logged(
        "directive_received", directive="AudioPlayer.Play", dialog_request_id=dialog
    )
    assert not running.logged("directive_handler_failed")
