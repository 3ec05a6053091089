"""Start-up refusals of the real ``clova-client run``: one clear line and exit 2, no traceback."""

from __future__ import annotations

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess
from .helpers import DEVICE

pytestmark = pytest.mark.e2e


async def test_bad_audio_output_exits_2_with_one_line(
    mock: MockCicServer, daemon: DaemonProcess
) -> None:
    daemon.overrides["CLOVA_PLAYER__AUDIO_OUTPUT"] = "hdmi"
    await daemon.start(connect=False)
    assert await daemon.wait_exit() == 2

    lines = daemon.log_text().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert "player.audio_output" in line
    assert "'hdmi'" in line
    assert "auto, alsa, pulse, null" in line
    assert "CLOVA_PLAYER__AUDIO_OUTPUT" in line  # where the bad value came from
    assert "Traceback" not in line
    assert mock.device(DEVICE).downchannel_opens == 0


async def test_token_file_readable_by_others_is_refused(
    mock: MockCicServer, daemon: DaemonProcess
) -> None:
    daemon.write_token_file(mode=0o644)
    await daemon.start(connect=False)
    assert await daemon.wait_exit() == 2

    text = daemon.log_text()
    assert "Traceback" not in text
    records = daemon.log_records()
    assert all("raw" not in r for r in records), text  # every line is a JSON log record
    problems = [r for r in records if r.get("level") in ("warning", "error", "critical")]
    assert len(problems) == 1, text
    reason = problems[0]["reason"]
    assert problems[0]["event"] == "cannot_start"
    assert problems[0]["level"] == "error"
    assert str(daemon.token_file) in reason
    assert "0644" in reason
    assert "\n" not in reason
    assert mock.device(DEVICE).downchannel_opens == 0  # it never talked to CIC
    assert mock.device(DEVICE).requests == {}
