"""ControlServer and the client over real Unix sockets, with a stub handler."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from clova_client.control import (
    Button,
    ControlError,
    ControlServer,
    ControlSocketError,
    NotRunning,
    request,
)
from clova_client.control.protocol import MAX_REQUEST_BYTES

from .conftest import StubHandler, sample_status


@pytest.fixture
async def server(sock_path: Path, handler: StubHandler) -> AsyncIterator[ControlServer]:
    async with ControlServer(sock_path, handler) as running:
        yield running


async def raw(path: Path, data: bytes) -> dict[str, Any]:
    """Send ``data`` as is; the one response line, decoded."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(data)
    await writer.drain()
    line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    response: dict[str, Any] = json.loads(line)
    return response


def gone(path: Path) -> bool:
    return not path.exists()


def dead_socket(path: Path) -> None:
    """What a crashed daemon leaves behind: a socket file nobody listens on."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()


async def test_status_round_trip(server: ControlServer, sock_path: Path) -> None:
    response = await request(sock_path, {"cmd": "status"})
    assert response == {"ok": True, "result": sample_status()}


PRESSES = {
    "pause": ({}, "PauseCommandIssued"),
    "resume": ({}, "ResumeCommandIssued"),
    "next": ({}, "NextCommandIssued"),
    "previous": ({}, "PreviousCommandIssued"),
    "stop": ({}, "StopCommandIssued"),
    "play": ({}, "ResumeCommandIssued"),  # the Play button of the guide resumes
    "repeat": ({}, "SetRepeatModeCommandIssued"),
    "custom": ({"name": "CUSTOM_BUTTON_2"}, "CustomCommandIssued"),
}


def test_every_button_is_tried() -> None:
    assert set(PRESSES) == {b.value for b in Button}


@pytest.mark.parametrize("button", list(PRESSES))
async def test_press_each_button(
    server: ControlServer, sock_path: Path, handler: StubHandler, button: str
) -> None:
    extra, name = PRESSES[button]
    response = await request(sock_path, {"cmd": "press", "button": button, **extra})
    assert response == {
        "ok": True,
        "result": {"event": f"PlaybackController.{name}", "message_id": "m-1"},
    }
    assert handler.pressed == [Button(button)]
    assert type(handler.pressed[0]) is Button
    assert handler.details == [(None, extra.get("name"))]


async def test_press_play_with_a_chosen_token(
    server: ControlServer, sock_path: Path, handler: StubHandler
) -> None:
    response = await request(sock_path, {"cmd": "press", "button": "play", "token": "TR-1"})
    assert response["result"]["event"] == "PlaybackController.PlayCommandIssued"
    assert handler.details == [("TR-1", None)]


BUTTONS = "pause, resume, next, previous, stop, play, repeat, custom"
KNOWN = "status, press, dialog, volume, recognize, listen"
BAD_REQUESTS = {
    b"not json\n": "malformed JSON: Expecting value: line 1 column 1 (char 0)",
    b'{"cmd": "\xff"}\n': "not UTF-8 text (byte 9)",
    b"[1, 2]\n": "expected a JSON object, got list",
    b"{}\n": f"missing 'cmd' (known: {KNOWN})",
    b'{"cmd": "reboot"}\n': f"unknown cmd 'reboot' (known: {KNOWN})",
    b'{"cmd": ["status"]}\n': f"unknown cmd ['status'] (known: {KNOWN})",
    b'{"cmd": "dialog"}\n': "dialog needs an 'id': the new dialog's dialogRequestId",
    b'{"cmd": "dialog", "id": 7}\n': "dialog needs an 'id'",
    b'{"cmd": "dialog", "id": " "}\n': "dialog needs an 'id'",
    b'{"cmd": "press"}\n': f"press needs a 'button' (known: {BUTTONS})",
    b'{"cmd": "press", "button": "eject"}\n': f"unknown button 'eject' (known: {BUTTONS})",
    b'{"cmd": "press", "button": 1}\n': f"unknown button 1 (known: {BUTTONS})",
    b'{"cmd": "press", "button": "PAUSE"}\n': f"unknown button 'PAUSE' (known: {BUTTONS})",
    b'{"cmd": "press", "button": "pause", "token": "t"}\n': "press: only play takes a token, "
    "not pause",
    b'{"cmd": "press", "button": "play", "token": 5}\n': "press: 'token' and 'name' must be "
    "strings",
    b'{"cmd": "press", "button": "custom"}\n': "press: custom needs the button's name",
    b'{"cmd": "press", "button": "custom", "name": "a b"}\n': "press: custom needs the "
    "button's name",
    b'{"cmd": "press", "button": "stop", "name": "X"}\n': "press: only custom takes a button "
    "name, not stop",
}


async def test_dialog_announced(
    server: ControlServer, sock_path: Path, handler: StubHandler
) -> None:
    await request(sock_path, {"cmd": "dialog", "id": "d-1"})
    response = await request(sock_path, {"cmd": "dialog", "id": "d-2"})
    assert response == {"ok": True, "result": {"dialog_request_id": "d-2", "superseded": "d-1"}}
    assert handler.dialogs == ["d-1", "d-2"]


@pytest.mark.parametrize("data", list(BAD_REQUESTS), ids=repr)
async def test_bad_request_answered_not_fatal(
    server: ControlServer, sock_path: Path, handler: StubHandler, data: bytes
) -> None:
    response = await raw(sock_path, data)
    assert response["ok"] is False
    assert response["error"].startswith(BAD_REQUESTS[data]), response["error"]
    assert handler.pressed == []
    assert (await request(sock_path, {"cmd": "status"}))["ok"] is True


async def test_request_without_newline_at_eof_is_served(
    server: ControlServer, sock_path: Path
) -> None:
    reader, writer = await asyncio.open_unix_connection(str(sock_path))
    writer.write(b'{"cmd": "status"}')
    writer.write_eof()
    response = json.loads(await reader.readline())
    writer.close()
    await writer.wait_closed()
    assert response["ok"] is True


async def test_oversized_line_is_capped(server: ControlServer, sock_path: Path) -> None:
    huge = b'{"cmd": "status", "pad": "' + b"x" * (MAX_REQUEST_BYTES * 4) + b'"}\n'
    response = await raw(sock_path, huge)
    assert response == {"ok": False, "error": f"request too long (max {MAX_REQUEST_BYTES} bytes)"}
    assert (await request(sock_path, {"cmd": "status"}))["ok"] is True


async def test_handler_refusal_and_failure(
    server: ControlServer, sock_path: Path, handler: StubHandler
) -> None:
    handler.refuse = "not connected to CIC"
    response = await request(sock_path, {"cmd": "press", "button": "next"})
    assert response == {"ok": False, "error": "not connected to CIC"}
    handler.refuse, handler.fail = None, True
    for req in ({"cmd": "status"}, {"cmd": "press", "button": "next"}):
        response = await request(sock_path, req)
        assert response == {
            "ok": False,
            "error": "internal error: RuntimeError (see the daemon log)",
        }
    handler.fail = False
    assert (await request(sock_path, {"cmd": "status"}))["ok"] is True


async def test_idle_client_does_not_block_others(server: ControlServer, sock_path: Path) -> None:
    _, idle_writer = await asyncio.open_unix_connection(str(sock_path))
    idle_writer.write(b'{"cmd": ')  # never finishes its line
    await idle_writer.drain()
    assert (await request(sock_path, {"cmd": "status"}))["ok"] is True
    await server.close()  # drops the idle client instead of waiting for it
    assert gone(sock_path)
    idle_writer.close()


async def test_socket_is_owner_only_whatever_the_umask(
    sock_path: Path, handler: StubHandler
) -> None:
    previous = os.umask(0)
    try:
        async with ControlServer(sock_path, handler):
            st = os.lstat(sock_path)
            assert stat.S_ISSOCK(st.st_mode)
            assert stat.S_IMODE(st.st_mode) == 0o600
            assert os.umask(0) == 0  # restored after the bind
    finally:
        os.umask(previous)


async def test_missing_directory_is_created_private(tmp_path: Path, handler: StubHandler) -> None:
    path = tmp_path / "new" / "control.sock"
    async with ControlServer.in_dir(path.parent, handler) as server:
        assert server.path == path
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert (await request(path, {"cmd": "status"}))["ok"] is True


async def test_writable_directory_refused(tmp_path: Path, handler: StubHandler) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o770)
    with pytest.raises(ControlSocketError) as caught:
        await ControlServer(shared / "control.sock", handler).start()
    assert str(caught.value) == (
        f"control directory {shared} is group/other writable (mode 0770); make it 0755 or stricter"
    )
    assert gone(shared / "control.sock")


async def test_stale_socket_replaced(sock_path: Path, handler: StubHandler) -> None:
    dead_socket(sock_path)
    with pytest.raises(NotRunning):
        await request(sock_path, {"cmd": "status"})
    async with ControlServer(sock_path, handler):
        assert (await request(sock_path, {"cmd": "status"}))["ok"] is True
    assert gone(sock_path)


async def test_live_socket_refused(
    server: ControlServer, sock_path: Path, handler: StubHandler
) -> None:
    with pytest.raises(ControlSocketError) as caught:
        await ControlServer(sock_path, StubHandler()).start()
    assert str(caught.value) == (
        f"another clova-client is already running (its control socket {sock_path} answers)"
    )
    # The first server keeps its socket and still answers.
    assert (await request(sock_path, {"cmd": "press", "button": "stop"}))["ok"] is True
    assert handler.pressed == [Button.STOP]


async def test_non_socket_file_left_alone(sock_path: Path, handler: StubHandler) -> None:
    keep = b"not a socket"
    fd = os.open(sock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, keep)
    os.close(fd)
    with pytest.raises(ControlSocketError, match="exists and is not a socket"):
        await ControlServer(sock_path, handler).start()
    assert os.lstat(sock_path).st_size == len(keep)  # left alone


async def test_too_long_path_refused(tmp_path: Path, handler: StubHandler) -> None:
    path = tmp_path / ("d" * 60) / ("s" * 60)
    with pytest.raises(ControlSocketError, match=r"control socket path too long \(\d+ bytes"):
        await ControlServer(path, handler).start()


async def test_close_leaves_a_replaced_socket_alone(sock_path: Path, handler: StubHandler) -> None:
    first = ControlServer(sock_path, handler)
    await first.start()
    os.unlink(sock_path)  # e.g. removed by hand, and another daemon took the name
    async with ControlServer(sock_path, handler):
        await first.close()
        assert (await request(sock_path, {"cmd": "status"}))["ok"] is True


async def test_client_not_running(tmp_path: Path, sock_path: Path) -> None:
    missing = tmp_path / "missing.sock"
    with pytest.raises(NotRunning) as caught:
        await request(missing, {"cmd": "status"})
    assert str(caught.value) == f"clova-client is not running (no control socket at {missing})"
    dead_socket(sock_path)
    with pytest.raises(NotRunning, match=r"stale control socket at .* refuses connections"):
        await request(sock_path, {"cmd": "status"})


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"garbage\n", "malformed answer from clova-client: Expecting value"),
        (b'{"result": {}}\n', "malformed answer from clova-client: no 'ok' field"),
        (b"", "clova-client closed the control connection without an answer"),
        (None, "clova-client did not answer within 0.2 s on "),
    ],
)
async def test_client_bad_answers(sock_path: Path, answer: bytes | None, error: str) -> None:
    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        if answer is None:
            await reader.read()  # say nothing until the client gives up
        writer.write(answer or b"")
        writer.close()

    async with await asyncio.start_unix_server(peer, str(sock_path)):
        with pytest.raises(ControlError) as caught:
            await request(sock_path, {"cmd": "status"}, timeout_s=0.2)
    assert str(caught.value).startswith(error), caught.value


def test_a_lone_surrogate_in_an_answer_is_sent_as_its_escape() -> None:
    from clova_client.control.protocol import encode

    line = encode({"title": "bad \udcff name"})
    assert json.loads(line) == {"title": "bad \udcff name"}
