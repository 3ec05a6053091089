"""Logging: real output in each format, journald priorities, stdlib routing, redaction."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from clova_client import logging as clova_logging
from clova_client.logging import configure_logging
from clova_client.redact import is_secret_key, redact_text

ACCESS = "AT-9f8e7d6c5b4a39281706"
REFRESH = "RT-0a1b2c3d4e5f60718293"
SIGNED = "https://cdn.example.com/track.mp3?sig=SIGNATURE123&exp=99"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    if clova_logging._handler is not None:
        root.removeHandler(clova_logging._handler)
        clova_logging._handler = None
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    logging.captureWarnings(False)


def capture(fmt: clova_logging.LogFormat, level: str = "debug") -> io.StringIO:
    buf = io.StringIO()
    configure_logging(fmt, level, stream=buf, secrets_provider=lambda: [ACCESS, REFRESH])
    return buf


def lines(buf: io.StringIO) -> list[str]:
    return buf.getvalue().splitlines()


def emit_everything_secret() -> None:
    log = structlog.get_logger("clova_client.test")
    log.info(
        f"GET {SIGNED} with Authorization: Bearer {ACCESS}",
        token="TR-NM-123",
        url=SIGNED,
        authorization=f"Bearer {ACCESS}",
        access_token=ACCESS,
        refresh_token=REFRESH,
        response={"access_token": ACCESS, "headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
        sent=[f"token={ACCESS}", {"url": SIGNED}],
        body=f'{{"refresh_token": "{REFRESH}"}}',
    )
    try:
        raise RuntimeError(f"refused {ACCESS} at {SIGNED}")
    except RuntimeError:
        log.exception("refresh failed")


@pytest.mark.parametrize("fmt", ["journal", "console", "json"])
def test_no_secret_reaches_any_format(fmt: clova_logging.LogFormat) -> None:
    buf = capture(fmt)
    emit_everything_secret()
    out = buf.getvalue()
    for secret in (ACCESS, REFRESH, "SIGNATURE123", "exp=99", "dXNlcjpwYXNz"):
        assert secret not in out
    assert "TR-NM-123" in out  # the protocol's item token stays visible
    assert "https://cdn.example.com/track.mp3?…" in out
    assert "RuntimeError: refused <redacted>" in out
    assert "Bearer <redacted>" in out


def test_journal_lines_carry_syslog_priorities_and_no_timestamp() -> None:
    buf = capture("journal")
    log = structlog.get_logger("clova_client.test")
    log.debug("d")
    log.info("i", token="TR-1", offset_ms=1500, paused=False)
    log.warning("w")
    log.error("e")
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        log.exception("x")
    out = lines(buf)
    assert [line[:3] for line in out] == ["<7>", "<6>", "<4>", "<3>", "<3>"]
    assert out[1] == (
        "<6>event=i token=TR-1 offset_ms=1500 paused=false level=info logger=clova_client.test"
    )
    assert not any(re.search(r"\d{4}-\d\d-\d\d", line) for line in out)
    assert out[4].startswith("<3>event=x ") and 'exception="Traceback' in out[4]
    assert len(out) == 5  # the traceback stayed on its line


def test_console_is_readable_with_a_timestamp() -> None:
    buf = capture("console")
    structlog.get_logger("clova_client.test").info("play started", token="TR-1")
    (line,) = lines(buf)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line)
    assert "[info" in line and "play started" in line and "token=TR-1" in line
    assert "\x1b[" not in line  # no colours when the stream is not a terminal


def test_json_is_one_object_per_line() -> None:
    buf = capture("json")
    log = structlog.get_logger("clova_client.test")
    with structlog.contextvars.bound_contextvars(message_id="m-1", namespace="AudioPlayer"):
        log.warning("directive rejected", reason="bad token")
    (record,) = (json.loads(line) for line in lines(buf))
    assert record["event"] == "directive rejected"
    assert record["level"] == "warning"
    assert (record["message_id"], record["namespace"]) == ("m-1", "AudioPlayer")
    assert record["reason"] == "bad token"
    assert record["timestamp"].endswith("Z")


def test_stdlib_libraries_are_routed_from_warning_up() -> None:
    buf = capture("journal", "debug")
    logging.getLogger("aiohttp.client").info("noise")
    logging.getLogger("httpx").debug("noise")
    logging.getLogger("asyncio").warning("slow callback %s", f"{SIGNED} took 0.3 s")
    logging.getLogger("clova_client.legacy").debug("ours at debug")
    out = lines(buf)
    assert out == [
        '<4>event="slow callback https://cdn.example.com/track.mp3?… took 0.3 s" '
        "level=warning logger=asyncio",
        '<7>event="ours at debug" level=debug logger=clova_client.legacy',
    ]


def test_level_filters_our_events() -> None:
    buf = capture("journal", "warning")
    log = structlog.get_logger("clova_client.test")
    log.info("hidden")
    log.warning("shown")
    assert lines(buf) == ["<4>event=shown level=warning logger=clova_client.test"]


def test_reconfiguring_replaces_the_handler() -> None:
    first = capture("json")
    second = capture("journal", "info")
    structlog.get_logger("clova_client.test").info("once")
    assert first.getvalue() == ""
    assert lines(second) == ["<6>event=once level=info logger=clova_client.test"]


def test_a_failing_secrets_provider_does_not_stop_logging() -> None:
    buf = io.StringIO()

    def broken() -> list[str]:
        raise RuntimeError("token store not loaded")

    configure_logging("journal", "info", stream=buf, secrets_provider=broken)
    structlog.get_logger("clova_client.test").info("still here", url=SIGNED)
    assert lines(buf) == [
        '<6>event="still here" url=https://cdn.example.com/track.mp3?… level=info '
        "logger=clova_client.test"
    ]


def test_auto_picks_journal_only_for_the_journal_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert configure_logging("auto", stream=io.StringIO()) == "console"
    with (tmp_path / "journal").open("w") as stream, (tmp_path / "other").open("w") as other:
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert configure_logging("auto", stream=stream) == "journal"
        assert configure_logging("auto", stream=other) == "console"
        assert configure_logging("json", stream=stream) == "json"
    assert configure_logging("auto", stream=io.StringIO()) == "journal"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def", "Authorization: Bearer <redacted>"),
        ("authorization=Basic dXNlcg==", "authorization=<redacted>"),
        (
            '{"access_token": "xyz", "token_type": "Bearer"}',
            '{"access_token": "<redacted>", "token_type": "Bearer"}',
        ),
        (
            "grant_type=refresh_token&refresh_token=r1&client_secret=s2",
            "grant_type=refresh_token&refresh_token=<redacted>&client_secret=<redacted>",
        ),
        ("jwt eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl end", "jwt <redacted> end"),
        ("see https://u:p@h:8443/a/b?x=1#frag now", "see https://h:8443/a/b?… now"),
        ("token=TR-NM-123 played", "token=TR-NM-123 played"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_secret_keys_but_not_item_tokens() -> None:
    secret = [
        "access_token",
        "refreshToken",
        "Authorization",
        "client_secret",
        "password",
        "id_token",
    ]
    assert all(is_secret_key(k) for k in secret)
    visible = [
        "token",
        "previous_token",
        "expectedPreviousToken",
        "token_type",
        "access_token_file",
    ]
    assert not any(is_secret_key(k) for k in visible)


def _redact_always(text: str) -> str:
    """redact_text without its shortcut: every pattern applied, as before it had one."""
    from clova_client import redact

    text = redact._BEARER.sub(r"\1" + redact.REDACTED, text)
    text = redact._KEYED.sub(r"\1\2" + redact.REDACTED, text)
    text = redact._JWT.sub(redact.REDACTED, text)
    return redact._URL.sub(lambda m: redact.redact_url(m.group(0)), text)


@pytest.mark.parametrize(
    "text",
    [
        "AudioPlayer.PlayStarted",
        "tok-123 PLAYING 3f2c8a1e-4b5d",
        "PASSWORD=hunter2",
        "Refresh_Token: abc.def",
        "proxy-Authorization: Basic dXNlcg==",
        "CLIENT_SECRET=s3",
        "BeArEr abc.def-ghi",
        "eyJhbGciOi.eyJzdWIiOi.sig",
        "see HTTP://host/p?sig=1",
        "pa\u017fsword=hunter2",  # (?i) folds the long s to an s: no ASCII shortcut
        "\u212aorean access_token=x",  # the Kelvin sign folds to k
        "노래 password=secret",
    ],
)
def test_redact_text_shortcut_finds_what_every_pattern_finds(text: str) -> None:
    assert redact_text(text) == _redact_always(text)
    if text != _redact_always(text):
        assert "<redacted>" in redact_text(text) or "…" in redact_text(text)
