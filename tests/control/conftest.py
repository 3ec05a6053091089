"""A stub ``ControlHandler``, a rich sample status, and a server run on its own thread."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from clova_client.control import (
    Button,
    CommandRefused,
    ControlServer,
    PressResult,
    StatusDocument,
)

NOON = datetime(2024, 5, 1, 12, 0, 0).timestamp()
"""Local noon: every time in the sample renders as a fixed local HH:MM:SS."""


def sample_status(base: float = NOON) -> StatusDocument:
    return {
        "version": "0.1.0",
        "pid": 4242,
        "started_at": base - 3725,
        "connection": {
            "state": "connected",
            "since": base + 63,
            "retry_in_s": None,
            "last_error": "HTTP 503 from /v1/directives",
        },
        "player": {
            "state": "PLAYING",
            "current": {
                "token": "tok-1",
                "title": "봄날",
                "artist": "BTS",
                "position_ms": 83_000,
                "duration_ms": 296_000,
            },
            "queue": [
                {"token": "tok-2", "title": "Second", "artist": "Artist 2"},
                {"token": "tok-3", "title": None, "artist": None},
            ],
            "volume": 80,
            "muted": True,
            "repeat": "REPEAT_ONE",
        },
        "outbox": {"pending": 3},
        "errors": [
            {"at": base + 58, "source": "cic", "message": "HTTP 503 from /v1/directives"},
            {"at": base + 61, "source": "player", "message": "open timed out after 10 s"},
        ],
    }


class StubHandler:
    """Answers with a fixed status; records presses; can refuse or fail on request."""

    def __init__(self, status: StatusDocument | None = None) -> None:
        self.document = status if status is not None else sample_status()
        self.pressed: list[Button] = []
        self.details: list[tuple[str | None, str | None]] = []
        """(token, name) of each press."""
        self.dialogs: list[str] = []
        self.refuse: str | None = None
        self.undelivered = False
        self.volumes: list[int | str | None] = []
        self.level = 80
        self.fail = False

    def status(self) -> StatusDocument:
        if self.fail:
            raise RuntimeError("status exploded")
        return self.document

    async def press(
        self, button: Button, *, token: str | None = None, name: str | None = None
    ) -> PressResult:
        if self.refuse is not None:
            raise CommandRefused(self.refuse)
        if self.fail:
            raise RuntimeError("press exploded")
        self.pressed.append(button)
        self.details.append((token, name))
        event_name = "PlayCommandIssued" if token is not None else button.event_name
        result: PressResult = {
            "event": f"PlaybackController.{event_name}",
            "message_id": f"m-{len(self.pressed)}",
        }
        if self.undelivered:
            result["delivered"] = False
            result["note"] = "not delivered within 10 s, so dropped (CIC unreachable)"
        return result

    async def volume(self, value: int | str | None) -> dict[str, int | bool]:
        self.volumes.append(value)
        if isinstance(value, int):
            self.level = value
        elif value is not None:
            self.level = max(0, min(100, self.level + (10 if value == "up" else -10)))
        return {"volume": self.level, "muted": False}

    def begin_dialog(self, dialog_request_id: str) -> dict[str, str | None]:
        superseded = self.dialogs[-1] if self.dialogs else None
        self.dialogs.append(dialog_request_id)
        return {"dialog_request_id": dialog_request_id, "superseded": superseded}


@pytest.fixture
def handler() -> StubHandler:
    return StubHandler()


@pytest.fixture
def control_dir(tmp_path: Path) -> Path:
    """A private directory (0700) for the socket."""
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def sock_path(control_dir: Path) -> Path:
    return control_dir / "control.sock"


class ServerThread:
    """A ``ControlServer`` on an event loop in a background thread (for subprocess clients)."""

    def __init__(self, path: Path, handler: StubHandler) -> None:
        self.server = ControlServer(path, handler)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def served(sock_path: Path, handler: StubHandler) -> Iterator[ServerThread]:
    with ServerThread(sock_path, handler) as running:
        yield running


@pytest.fixture
def clean_env() -> dict[str, str]:
    """The environment for CLI subprocesses: no CLOVA_* or systemd variables of ours."""
    foreign = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
    return {k: v for k, v in os.environ.items() if not k.startswith("CLOVA_") and k not in foreign}


from tests.agents.voice_rig import logs, rig  # noqa: E402,F401 - the voice rig's fixtures
