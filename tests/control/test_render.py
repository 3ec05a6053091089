"""The human rendering of the status document (``clova-client status``)."""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.control import render_status
from clova_client.control.render import clock, duration, one_line

from .conftest import NOON, sample_status

DAY = 86400.0


def test_rich_status() -> None:
    assert render_status(sample_status(), now=NOON + 90).splitlines() == [
        "clova-client 0.1.0 (pid 4242), up 1h03m (since 10:57:55)",
        "connection:  CONNECTED since 12:01:03",
        "  last error: HTTP 503 from /v1/directives",
        "player:      PLAYING",
        "  item:      tok-1  봄날 - BTS  01:23/04:56",
        "  volume:    80 (muted)",
        "  repeat:    REPEAT_ONE",
        "queue:       2 items",
        "  1. tok-2  Second - Artist 2",
        "  2. tok-3",
        "outbox:      3 events pending",
        "last errors:",
        "  12:00:58  cic: HTTP 503 from /v1/directives",
        "  12:01:01  player: open timed out after 10 s",
    ]


def test_backing_off_idle_on_another_day() -> None:
    doc: Any = sample_status()
    doc["connection"].update(state="BACKING_OFF", retry_in_s=4.4, last_error="connect refused")
    doc["player"].update(state="IDLE", current=None, queue=[], muted=False, volume=35)
    doc["outbox"]["pending"] = 1
    doc["errors"] = []
    lines = render_status(doc, now=NOON + DAY).splitlines()
    assert lines[0] == "clova-client 0.1.0 (pid 4242), up 1d01h (since 2024-05-01 10:57:55)"
    assert lines[1] == "connection:  BACKING_OFF since 2024-05-01 12:01:03, retry in 4 s"
    assert lines[2] == "  last error: connect refused"
    assert lines[3:] == [
        "player:      IDLE",
        "  item:      none",
        "  volume:    35",
        "  repeat:    REPEAT_ONE",
        "queue:       0 items",
        "outbox:      1 event pending",
        "last errors: none",
    ]


def test_paused_item_with_unknown_duration_and_no_metadata() -> None:
    doc: Any = sample_status()
    doc["player"]["state"] = "PAUSED"
    doc["player"]["current"] = {
        "token": "t",
        "title": None,
        "artist": None,
        "position_ms": 3_723_000,
        "duration_ms": None,
    }
    lines = render_status(doc, now=NOON).splitlines()
    assert "player:      PAUSED" in lines
    assert "  item:      t  1:02:03/--:--" in lines


def test_hostile_text_stays_on_one_line() -> None:
    doc: Any = sample_status()
    doc["player"]["current"]["title"] = "evil\n\x1b[31mred\x1b[0m\r\ttitle"
    doc["errors"] = [{"at": NOON, "source": "cic", "message": "x" * 500}]
    text = render_status(doc, now=NOON)
    lines = text.splitlines()
    assert len(lines) == 13  # the sample's 14, with one error instead of two
    assert "\x1b" not in text and "\r" not in text and "\t" not in text
    assert "  item:      tok-1  evil [31mred [0m title - BTS  01:23/04:56" in lines
    assert lines[-1] == "  12:00:00  cic: " + "x" * 117 + "..."


def test_missing_or_odd_fields_do_not_break_it() -> None:
    odd = {"player": {"queue": "nope", "current": 5, "volume": True}, "errors": {"at": 1}}
    for doc in ({}, odd):
        lines = render_status(doc, now=NOON).splitlines()
        assert lines[0] == "clova-client ? (pid ?)"
        assert "connection:  ?" in lines
        assert "last errors: none" in lines


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (0, "00:00"),
        (83_999, "01:23"),
        (296_000, "04:56"),
        (3_600_000, "1:00:00"),
        (None, "--:--"),
        (-1, "--:--"),
        ("12", "--:--"),
        (True, "--:--"),
    ],
)
def test_clock(ms: object, shown: str) -> None:
    assert clock(ms) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.4, "0 s"), (59, "59 s"), (75, "1m15s"), (3725, "1h02m"), ("x", "?")]
)
def test_duration(seconds: object, shown: str) -> None:
    assert duration(seconds) == shown


def test_one_line() -> None:
    assert one_line("a\u2028b\n\n c ") == "a b c"
    assert one_line("abcdef", limit=5) == "ab..."
