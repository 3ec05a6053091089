"""A client process killed with SIGKILL while events are pending delivers them all after restart,
in order, with their original messageIds."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from clova_client.mock_cic import MockCicServer

from .helpers import DEVICE, write_token_file

ROOT = Path(__file__).resolve().parents[2]


async def start_runner(
    mock: MockCicServer, tmp_path: Path, count: int, tag: str
) -> tuple[asyncio.subprocess.Process, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cic.outbox_runner",
        "--base-url",
        mock.base_url,
        "--ca-file",
        str(mock.ca_file),
        "--token-file",
        str(tmp_path / "token.json"),
        "--outbox",
        str(tmp_path / "state" / "outbox.db"),
        "--count",
        str(count),
        "--tag",
        tag,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    return proc, json.loads(line)["queued"]


async def test_kill_9_with_pending_events_then_restart_delivers_all(
    mock: MockCicServer, tmp_path: Path
) -> None:
    write_token_file(tmp_path / "token.json")
    mock.refuse_connections(600)  # offline: nothing can be delivered
    first, queued = await start_runner(mock, tmp_path, 12, "before")
    first.send_signal(signal.SIGKILL)
    assert await first.wait() == -signal.SIGKILL
    assert mock.events(DEVICE) == []

    await mock.restart()  # back online
    second, more = await start_runner(mock, tmp_path, 3, "after")
    try:
        await asyncio.wait_for(_until_count(mock, 15), 30)
    finally:
        second.kill()
        await second.wait()
    assert [e.message_id for e in mock.events(DEVICE)] == queued + more
    assert [e.message["event"]["payload"]["token"] for e in mock.events(DEVICE)][:2] == [
        "before-0",
        "before-1",
    ]


async def _until_count(mock: MockCicServer, n: int) -> None:
    while len(mock.events(DEVICE)) < n:  # noqa: ASYNC110 - the mock's record, polled
        await asyncio.sleep(0.01)
