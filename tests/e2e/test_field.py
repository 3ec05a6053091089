"""The speaker in the field: first boot without a token, and failure reasons a technician can
act on (each in the log and in status, each written in docs/OPERATIONS.md)."""

from __future__ import annotations

import asyncio
import json
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import CLI, DaemonProcess, Media
from .helpers import ACCESS_TOKEN, DEVICE, REFRESH_TOKEN, play, wait_event
from .test_systemd import NotifySocket, notify_socket  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"


async def test_first_boot_without_a_token_is_ready_and_connects_once_one_is_set(
    mock: MockCicServer,
    daemon: DaemonProcess,
    notify_socket: NotifySocket,  # noqa: F811
) -> None:
    daemon.token_file.unlink()
    daemon.extra_env["NOTIFY_SOCKET"] = str(notify_socket.path)
    await daemon.start(connect=False)
    ready = await notify_socket.wait_for("READY", "1")
    assert ready.fields["STATUS"] == (
        f"waiting for the token file {daemon.token_file} (clova-client token set)"
    )
    assert mock.device(DEVICE).downchannel_opens == 0
    waiting = await daemon.wait_logged("cic.waiting_for_token")
    assert waiting["level"] == "warning" and waiting["file"] == str(daemon.token_file)
    assert (await daemon.status())["connection"]["state"] == "WAITING_FOR_TOKEN"

    tokens = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "expires_in": 3600}
    setter = await asyncio.create_subprocess_exec(
        str(CLI), "token", "set", env=daemon.env(), stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    out, err = await setter.communicate(json.dumps(tokens).encode())
    assert setter.returncode == 0, err
    assert b"s3cret" not in out and ACCESS_TOKEN.encode() not in out
    assert daemon.token_file.stat().st_mode & 0o777 == 0o600
    await daemon.wait_connected(1)  # no restart: it watched the file
    assert daemon.returncode is None
    assert len(daemon.logged("cic.waiting_for_token")) == 1  # one warning, not one per poll
    assert (await daemon.status())["connection"]["state"] == "CONNECTED"


async def test_four_failures_four_reasons_in_log_status_and_docs(
    mock: MockCicServer, running: DaemonProcess, e2e_media: Media, tmp_path: Path
) -> None:
    garbage = e2e_media.directory / "garbage.wav"
    garbage.write_bytes(bytes(range(256)) * 200)
    media = mock.media_url()
    cases = {
        "404": f"{media}/no-such-file.wav",
        "refused": "http://127.0.0.1:9/x.wav",  # the discard port: nobody listens here
        "dns": "http://cdn.example.invalid/x.wav",
        "garbage": f"{media}/garbage.wav",
    }
    docs = OPERATIONS.read_text(encoding="utf-8")
    reasons: dict[str, str] = {}
    for n, (case, url) in enumerate(cases.items()):
        stream = {"token": f"tok-{case}", "url": url, "urlPlayable": True}
        await mock.push(DEVICE, play(f"item-{case}", stream))
        line = await running.wait_logged("player.item_abandoned", token=f"tok-{case}", timeout=20)
        reasons[case] = line["reason"]
        status = await running.status()
        failure = status["player"]["last_failure"]
        assert failure["token"] == f"tok-{case}" and failure["reason"] == line["reason"]
        assert failure["past"] is False
        assert f"reason='{line['reason']}'" in docs, line["reason"]  # verbatim in the table
        assert n == len(reasons) - 1
    assert reasons == {
        "404": "backend error: HTTP 404 from the media server",
        "refused": "backend error: connection refused by the media server",
        "dns": "backend error: DNS failure: cannot resolve cdn.example.invalid",
        "garbage": "backend error: not audio: the media ended without any decodable audio",
    }
    ok = {"token": "tok-ok", "url": f"{media}/{e2e_media.name(2000)}", "urlPlayable": True}
    await mock.push(DEVICE, play("item-ok", ok))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    shown = await running.cli("status")
    assert "  recovered: tok-garbage  backend error: not audio" in shown.stdout
