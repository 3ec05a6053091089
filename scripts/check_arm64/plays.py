"""Playing one item on the arm64 daemon through the mock's control API, and what it reported."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

from .procs import Daemon, JsonObject, Mock

END_EVENTS = ("AudioPlayer.PlayFinished", "AudioPlayer.PlayStopped")


@dataclass(frozen=True, slots=True)
class Played:
    """What the daemon reported for one item; times in seconds from the push."""

    started_s: float | None
    start_offset_ms: int | None
    end: str | None  # PlayFinished / PlayStopped, or None when neither came in time
    end_s: float | None
    end_offset_ms: int | None
    why: str  # the daemon's reason when the item never started (its log), else ""

    @property
    def finished(self) -> bool:
        return self.end == "AudioPlayer.PlayFinished"

    def describe(self) -> str:
        if self.started_s is None:
            return "no PlayStarted" + (f" ({self.why})" if self.why else "")
        if self.why:
            return f"PlayStarted +{self.started_s:.1f} s, then {self.why}"
        text = f"PlayStarted +{self.started_s:.1f} s at {self.start_offset_ms} ms"
        if self.end is None:
            return text + ", then neither PlayFinished nor PlayStopped"
        name = self.end.split(".", 1)[1]
        return f"{text}, {name} +{self.end_s:.1f} s at {self.end_offset_ms} ms"


def play_directive(item_id: str, token: str, url: str, title: str) -> JsonObject:
    return {
        "directive": {
            "header": {"namespace": "AudioPlayer", "name": "Play", "messageId": str(uuid.uuid4())},
            "payload": {
                "audioItem": {
                    "audioItemId": item_id,
                    "title": title,
                    "stream": {
                        "token": token,
                        "url": url,
                        "urlPlayable": True,
                        "beginAtInMilliseconds": 0,
                    },
                },
                "playBehavior": "REPLACE_ALL",
                "source": {"name": "check-arm64"},
            },
        }
    }


def _state(event: JsonObject) -> JsonObject:
    for item in event["message"].get("context", []):
        header = item.get("header", {})
        if header.get("namespace") == "AudioPlayer" and header.get("name") == "PlaybackState":
            payload: JsonObject = item.get("payload") or {}
            return payload
    return {}


def play(
    mock: Mock,
    daemon: Daemon,
    url: str,
    *,
    token: str,
    title: str,
    start_timeout: float,
    end_timeout: float,
) -> Played:
    """Push a REPLACE_ALL Play of ``url``; wait for its PlayStarted, then for its end."""
    _, since = mock.events()
    pushed = time.time()
    mock.push(play_directive(f"item-{token}", token, url, title))
    started: float | None = None
    start_offset: int | None = None
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        events, since_now = mock.events(since)
        since = since_now
        for event in events:
            state = _state(event)
            if (state.get("stream") or {}).get("token") != token:
                continue
            at = float(event["received_at"]) - pushed
            if event["name"] == "AudioPlayer.PlayStarted" and started is None:
                started, start_offset = at, state.get("offsetInMilliseconds")
                deadline = time.monotonic() + end_timeout
            elif event["name"] in END_EVENTS:
                offset = state.get("offsetInMilliseconds")
                return Played(started, start_offset, event["name"], at, offset, "")
        why = _abandoned(daemon, token)
        if why or (daemon.proc is not None and daemon.proc.poll() is not None):
            why = why or f"the daemon exited {daemon.proc.returncode if daemon.proc else '?'}"
            return Played(started, start_offset, None, None, None, why)
        time.sleep(0.2)
    return Played(started, start_offset, None, None, None, _abandoned(daemon, token))


def _abandoned(daemon: Daemon, token: str) -> str:
    """The reason the daemon logged for giving up on the item, or ""."""
    for line in daemon.log_lines(f"token={token}"):
        if "player.item_abandoned" in line:
            found = re.search(r"reason=('[^']*'|\"[^\"]*\"|\S+)", line)
            return "abandoned: " + (found.group(1).strip("'\"") if found else line.strip()[:200])
    return ""
