"""Directive builders and event readers shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from typing import Any

from clova_client.mock_cic import MockCicServer, RecordedEvent

DEVICE = "e2e-speaker"
ACCESS_TOKEN = f"e2e-access-{secrets.token_hex(12)}"
REFRESH_TOKEN = f"e2e-refresh-{secrets.token_hex(12)}"
"""Distinctive values, so a test can look for them in the daemon's log."""

JsonObject = dict[str, Any]
JSON_TYPE = "application/json; charset=UTF-8"


def directive(
    namespace: str, name: str, payload: JsonObject | None = None, *, dialog: str | None = None
) -> JsonObject:
    header: JsonObject = {"namespace": namespace, "name": name, "messageId": str(uuid.uuid4())}
    if dialog is not None:
        header["dialogRequestId"] = dialog
    return {"directive": {"header": header, "payload": payload if payload is not None else {}}}


def play(
    item_id: str,
    stream: JsonObject,
    *,
    behavior: str = "REPLACE_ALL",
    title: str | None = None,
    dialog: str | None = None,
) -> JsonObject:
    item: JsonObject = {"audioItemId": item_id, "stream": stream}
    if title is not None:
        item["title"] = title
    payload = {"audioItem": item, "playBehavior": behavior, "source": {"name": "e2e"}}
    return directive("AudioPlayer", "Play", payload, dialog=dialog)


def controller(name: str, payload: JsonObject | None = None) -> JsonObject:
    return directive("PlaybackController", name, payload)


def playback_state(event: RecordedEvent) -> JsonObject:
    """The AudioPlayer.PlaybackState context payload of a recorded event."""
    for item in event.message.get("context", []):
        header = item.get("header", {})
        if header.get("namespace") == "AudioPlayer" and header.get("name") == "PlaybackState":
            payload = item.get("payload")
            assert isinstance(payload, dict)
            return payload
    raise AssertionError(f"{event.name} carries no AudioPlayer.PlaybackState context")


def names(mock: MockCicServer, *, prefix: str = "AudioPlayer.") -> list[str]:
    return [e.name for e in mock.events(DEVICE) if e.name.startswith(prefix)]


def audio_events(mock: MockCicServer) -> list[RecordedEvent]:
    return [e for e in mock.events(DEVICE) if e.name.startswith("AudioPlayer.")]


def token_of(event: RecordedEvent) -> str | None:
    """The stream token an AudioPlayer event is about (StreamRequested: the one it asks for)."""
    if event.name == "AudioPlayer.StreamRequested":
        stream = event.message["event"]["payload"].get("audioStream") or {}
    else:
        stream = playback_state(event).get("stream") or {}
    token = stream.get("token")
    return token if isinstance(token, str) else None


async def wait_event(
    mock: MockCicServer,
    name: str,
    *,
    index: int = 0,
    timeout: float = 15,  # noqa: ASYNC109
) -> RecordedEvent:
    return await mock.wait_event(DEVICE, name, index=index, timeout=timeout)


async def wait_count(
    mock: MockCicServer,
    name: str,
    count: int,
    timeout: float = 15,  # noqa: ASYNC109
) -> list[RecordedEvent]:
    """Wait until ``count`` events called ``name`` were recorded."""
    await mock.wait_event(DEVICE, name, index=count - 1, timeout=timeout)
    return mock.events(DEVICE, name)


async def settle(
    mock: MockCicServer,
    quiet_s: float = 0.6,
    timeout: float = 10,  # noqa: ASYNC109
) -> None:
    """Wait until no new event arrived for ``quiet_s`` (used before asserting an absence)."""
    deadline = time.monotonic() + timeout
    count = len(mock.events(DEVICE))
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now_count = len(mock.events(DEVICE))
        if now_count != count:
            count, quiet_since = now_count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return


def push_raw_part(mock: MockCicServer, body: bytes, *, content_type: str = JSON_TYPE) -> None:
    """Write one hand-made part (e.g. JSON that does not parse) on the open downchannel.

    The mock only pushes well-formed directives, so this writes the wire bytes of a part (CRLF,
    headers, blank line, body, the next delimiter) on the downchannel as they are.
    """
    channel = mock.downchannels[DEVICE]
    piece = (
        b'\r\nContent-Disposition: form-data; name="directive"\r\n'
        + f"Content-Type: {content_type}\r\n".encode()
        + b"\r\n"
        + body
        + b"\r\n--"
        + channel.boundary.encode("ascii")
    )
    channel.send_raw(piece)
