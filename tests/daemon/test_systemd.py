"""sd_notify against a real Unix datagram socket, and the health-gated watchdog."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator

import pytest

from clova_client.clock import ManualClock
from clova_client.daemon.systemd import Notifier, Watchdog


class NotifySocket:
    """What systemd's end of NOTIFY_SOCKET receives."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def messages(self) -> list[str]:
        """Every datagram received so far, without waiting."""
        out = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode("utf-8"))
            except BlockingIOError:
                return out


@pytest.fixture
def notify_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    directory = tempfile.mkdtemp(prefix="sdn")  # short: AF_UNIX paths stop at 108 bytes
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    try:
        yield NotifySocket(sock)
    finally:
        sock.close()
        shutil.rmtree(directory)


def test_ready_status_stopping(notify_socket: NotifySocket) -> None:
    notifier = Notifier()
    assert notifier.enabled
    notifier.ready()
    notifier.status("connected; playing TR-NM-123 (재생 중)")
    notifier.ready(status="online\nplayer idle")
    notifier.watchdog()
    notifier.stopping()
    assert notify_socket.messages() == [
        "READY=1",
        "STATUS=connected; playing TR-NM-123 (재생 중)",
        "READY=1\nSTATUS=online player idle",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"clova-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        Notifier().ready()
        assert sock.recv(64) == b"READY=1"


def test_no_op_without_systemd() -> None:
    notifier = Notifier()
    assert not notifier.enabled
    notifier.ready()
    notifier.status("x")
    notifier.watchdog()
    notifier.stopping()
    assert notifier.watchdog_interval() is None


@pytest.mark.parametrize(
    ("usec", "pid", "interval"),
    [
        ("30000000", "self", 15.0),
        ("30000000", None, 15.0),
        ("30000000", "1", None),  # armed for another process
        ("0", "self", None),
        ("soon", "self", None),
        (None, None, None),
    ],
)
def test_watchdog_interval(usec: str | None, pid: str | None, interval: float | None) -> None:
    env = {"NOTIFY_SOCKET": "/nonexistent"}
    if usec is not None:
        env["WATCHDOG_USEC"] = usec
    if pid is not None:
        env["WATCHDOG_PID"] = str(os.getpid()) if pid == "self" else pid
    assert Notifier(env).watchdog_interval() == interval


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_watchdog_pings_only_while_healthy(notify_socket: NotifySocket) -> None:
    clock = ManualClock()
    watchdog = Watchdog(Notifier())
    assert watchdog.interval == 15.0
    verdicts = iter([True, True, False, False, True])

    def healthy() -> bool:
        return next(verdicts)

    task = asyncio.create_task(watchdog.run(healthy, clock))
    seen = []
    for _ in range(5):
        await settle()
        seen.append(notify_socket.messages())
        clock.advance(15.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [["WATCHDOG=1"], ["WATCHDOG=1"], [], [], ["WATCHDOG=1"]]


async def test_a_raising_health_check_counts_as_unhealthy(notify_socket: NotifySocket) -> None:
    clock = ManualClock()
    calls = 0

    def healthy() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("player state unreadable")
        return True

    task = asyncio.create_task(Watchdog(Notifier(), interval=2.0).run(healthy, clock))
    await settle()
    assert notify_socket.messages() == []
    clock.advance(2.0)
    await settle()
    assert notify_socket.messages() == ["WATCHDOG=1"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_watchdog_returns_when_not_armed() -> None:
    await asyncio.wait_for(Watchdog(Notifier()).run(lambda: True, ManualClock()), timeout=5)
