"""The daemon under a real sd_notify socket, as systemd runs it (``Type=notify``, watchdog)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clova_client.mock_cic import MockCicServer

from .conftest import DaemonProcess, Media
from .helpers import DEVICE, names, play, playback_state, wait_event

pytestmark = pytest.mark.e2e


@dataclass
class Notification:
    fields: dict[str, str]
    downchannel_opens: int
    """How often the mock had opened the device's downchannel when this arrived."""


@dataclass
class NotifySocket:
    """A bound ``AF_UNIX`` datagram socket standing in for systemd's notify socket."""

    path: Path
    mock: MockCicServer
    received: list[Notification] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def with_key(self, key: str) -> list[Notification]:
        return [n for n in self.received if key in n.fields]

    def statuses(self) -> list[str]:
        return [n.fields["STATUS"] for n in self.with_key("STATUS")]

    async def wait_for(
        self,
        key: str,
        value: str | None = None,
        *,
        contains: str = "",
        count: int = 1,
        timeout: float = 15,  # noqa: ASYNC109
    ) -> Notification:
        async def matched() -> Notification:
            while True:
                found = [
                    n
                    for n in self.with_key(key)
                    if (value is None or n.fields[key] == value) and contains in n.fields[key]
                ]
                if len(found) >= count:
                    return found[count - 1]
                self.changed.clear()
                await self.changed.wait()

        try:
            return await asyncio.wait_for(matched(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no {key}={value or contains!r} x{count}; got {[n.fields for n in self.received]}"
            ) from None


@pytest.fixture
async def notify_socket(
    short_runtime_dir: Path, mock: MockCicServer
) -> AsyncIterator[NotifySocket]:
    path = short_runtime_dir / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    notify = NotifySocket(path, mock)
    loop = asyncio.get_running_loop()

    async def receive() -> None:
        while True:
            data = await loop.sock_recv(sock, 65536)
            lines = data.decode("utf-8").split("\n")
            fields = dict(line.split("=", 1) for line in lines if "=" in line)
            notify.received.append(Notification(fields, mock.device(DEVICE).downchannel_opens))
            notify.changed.set()

    task = asyncio.create_task(receive())
    try:
        yield notify
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


async def test_ready_status_watchdog_and_graceful_stop_while_playing(
    mock: MockCicServer, daemon: DaemonProcess, notify_socket: NotifySocket, e2e_media: Media
) -> None:
    daemon.extra_env = {"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "2000000"}
    await daemon.start()

    # READY=1 once, only after CIC said hello, with a STATUS saying so
    ready = await notify_socket.wait_for("READY", "1")
    assert ready.downchannel_opens >= 1
    assert "cic connected" in ready.fields.get("STATUS", "")
    assert ready.fields["STATUS"].startswith("idle")

    # periodic watchdog pings (WATCHDOG_USEC=2 s: every second)
    await notify_socket.wait_for("WATCHDOG", "1", count=2)

    url = f"{mock.media_url()}/{e2e_media.name(10000)}"
    stream = {"token": "tok-sd", "url": url, "urlPlayable": True}
    await mock.push(DEVICE, play("item-sd", stream))
    await wait_event(mock, "AudioPlayer.PlayStarted")
    playing = await notify_socket.wait_for("STATUS", contains="playing tok-sd")
    assert playing.fields["STATUS"].endswith("- cic connected")
    pings_before = len(notify_socket.with_key("WATCHDOG"))
    await notify_socket.wait_for("WATCHDOG", "1", count=pings_before + 1)  # still pinging

    assert await daemon.terminate() == 0
    stopping = notify_socket.with_key("STOPPING")
    assert [n.fields["STOPPING"] for n in stopping] == ["1"]
    assert notify_socket.received.index(stopping[0]) > notify_socket.received.index(playing)
    assert len(notify_socket.with_key("READY")) == 1

    # the graceful stop told CIC the music stopped, before the process exited
    stopped = mock.events(DEVICE, "AudioPlayer.PlayStopped")
    assert len(stopped) == 1
    state = playback_state(stopped[0])
    assert state["playerActivity"] == "STOPPED"
    assert state["stream"] == stream
    assert 0 < state["offsetInMilliseconds"] < 10000
    assert names(mock) == [
        "AudioPlayer.PlayStarted",
        "AudioPlayer.PlayStopped",
    ]
    assert daemon.logged("stopping")
    assert not [r for r in daemon.log_records() if r.get("level") in ("error", "critical")]


async def test_ready_after_grace_when_cic_is_unreachable_then_connects(
    mock: MockCicServer, daemon: DaemonProcess, notify_socket: NotifySocket
) -> None:
    mock.refuse_connections(600)
    daemon.extra_env = {"NOTIFY_SOCKET": str(notify_socket.path)}
    daemon.overrides["CLOVA_SYSTEMD__READY_GRACE_S"] = "1"
    await daemon.start(connect=False)

    ready = await notify_socket.wait_for("READY", "1")
    assert ready.downchannel_opens == 0
    assert ready.fields["STATUS"].startswith("offline: cic ")
    assert daemon.returncode is None

    await mock.restart()  # CIC is back
    await daemon.wait_connected(1)
    await notify_socket.wait_for("STATUS", contains="idle - cic connected")
    assert len(notify_socket.with_key("READY")) == 1
    assert not notify_socket.with_key("WATCHDOG")  # no WATCHDOG_USEC: no pings
    assert await daemon.terminate() == 0
    assert [n.fields["STOPPING"] for n in notify_socket.with_key("STOPPING")] == ["1"]
