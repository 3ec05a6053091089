"""Regressions from a fuzzing CIC peer (issue 12): what the parser refuses, and that every event
encodes. Each test names the defect it pins down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import field_validator

from clova_client.cli.validate import check_file
from clova_client.protocol import ProtocolError, make_event, parse_directive, parse_event
from clova_client.protocol.base import InModel
from clova_client.protocol.multipart import MultipartParser, encode_event, json_bytes
from clova_client.protocol.registry import DIRECTIVES, parse_extension_response
from clova_client.protocol.validate import parse_message

from .spec import doc

PLAY = doc("cic-audioplayer__play__2")
PLAY["directive"]["header"]["name"] = "Play"
STREAM = "directive.payload.audioItem.stream"
STOP = {"directive": doc("nugu-mediaplayer__stop")}


def errors(message: Any) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        parse_directive(message)
    return [str(e) for e in info.value.errors]


def play_text(**stream: str) -> str:
    message = json.loads(json.dumps(PLAY))
    message["directive"]["payload"]["audioItem"]["stream"].update(stream)
    return json.dumps(message)


# --- defect 1: a lone surrogate poisoned the outbox -------------------------------------------


def test_lone_surrogate_escape_in_a_play_token_is_refused_with_its_field() -> None:
    text = play_text(token="\ud800")  # json.dumps writes the escape: valid JSON text
    assert "\\ud800" in text
    assert errors(text) == [f"{STREAM}.token: lone surrogate \\ud800: not Unicode text"]
    assert errors(text.encode()) == errors(text)


def test_lone_surrogate_in_a_mediaplayer_play_service_id_is_refused() -> None:
    message = json.loads(json.dumps(STOP))
    message["directive"]["payload"]["playServiceId"] = "svc\udfff"
    (line,) = errors(json.dumps(message).encode())
    assert line == "directive.payload.playServiceId: lone surrogate \\udfff: not Unicode text"


def test_lone_surrogate_in_a_key_is_refused_and_the_path_stays_printable() -> None:
    text = json.dumps({"directive": {"header": {"\udc80k": 1}}})
    (line,) = errors(text)
    assert line == "directive.header: key lone surrogate \\udc80: not Unicode text"
    line.encode("utf-8")  # the error itself can always be logged


def test_raw_surrogate_bytes_are_not_utf8() -> None:
    raw = play_text(token="SURR").encode().replace(b"SURR", b"\xed\xa0\x80")
    at = raw.index(b"\xed")
    assert errors(raw) == [f"not UTF-8 text: invalid byte ed at offset {at}"]


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3(", b"\xe2\x82", b"\xf8\x88\x80\x80\x80"])
def test_invalid_utf8_bytes_are_a_protocol_error_never_replaced(bad: bytes) -> None:
    raw = play_text(token="BAD").encode().replace(b"BAD", bad)
    (line,) = errors(raw)
    assert line.startswith("not UTF-8 text: invalid byte"), line


def test_paired_surrogate_escapes_are_one_character_and_kept() -> None:
    directive = parse_directive(play_text(token="\U0001f3b5 track"))
    assert directive.payload.audio_item.stream.token == "\U0001f3b5 track"


def test_an_event_holding_a_lone_surrogate_still_encodes_exactly() -> None:
    """From any other source (a file name read with surrogateescape): escaped, never an error."""
    event = make_event("MediaPlayer", "StopSucceeded", {"token": "\ud800", "title": "한글"})
    body, content_type = encode_event(event.to_json())
    (part,) = MultipartParser.from_content_type(content_type).feed(body)
    assert b"\\ud800" in part.body and part.body.isascii()
    assert json.loads(part.body) == event.to_json()


def test_events_stay_utf8_when_they_can() -> None:
    assert json_bytes({"title": "한글"}) == '{"title":"한글"}'.encode()


# --- defect 2: a huge integer escaped the parser as a ValueError ------------------------------


@pytest.mark.parametrize("digits", ["1" * 4301, "-" + "9" * 50_000])
def test_huge_integer_is_a_protocol_error_naming_its_field(digits: str) -> None:
    text = play_text(token="t").replace('"token": "t"', f'"token": "t", "n": {digits}')
    count = len(digits.lstrip("-"))
    assert errors(text) == [f"{STREAM}.n: integer of {count} digits is too long to read"]


def test_integer_at_the_digit_limit_is_read() -> None:
    text = play_text(token="t").replace('"token": "t"', f'"token": "t", "n": {"7" * 4300}')
    assert parse_directive(text).payload.audio_item.stream.raw["n"] == int("7" * 4300)


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("NaN", "NaN is not a JSON value"),
        ("-Infinity", "-Infinity is not a JSON value"),
        ("1e999", "number out of range (inf)"),
        ("-" + "9" * 400 + ".5", "number out of range (-inf)"),
    ],
)
def test_non_json_numbers_are_refused(literal: str, reason: str) -> None:
    text = play_text(token="t").replace('"token": "t"', f'"token": "t", "x": [0, {literal}]')
    assert errors(text) == [f"{STREAM}.x[1]: {reason}"]


def test_huge_integer_in_an_event_and_in_a_cek_response_is_a_protocol_error() -> None:
    huge = '{"n": 1' + "0" * 5000 + ","
    event = json.dumps(doc("cic-audioplayer__play-started")).replace("{", huge, 1)
    with pytest.raises(ProtocolError, match="n: integer of 5001 digits"):
        parse_event(event)
    with pytest.raises(ProtocolError, match="integer of 5001 digits"):
        parse_extension_response(event.replace('"n"', '"response": {}, "m"'))


def test_cyclic_decoded_object_is_too_deep_not_a_hang() -> None:
    cyclic: dict[str, Any] = {"directive": {"header": {}}}
    cyclic["directive"]["payload"] = cyclic
    (line,) = errors(cyclic)
    assert line.startswith("nested too deeply")


class _Boom(InModel):
    value: Any = None

    @field_validator("value")
    @classmethod
    def _explode(cls, value: Any) -> Any:
        raise TypeError("a validator bug")


def test_any_other_exception_inside_the_parsers_is_a_protocol_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(DIRECTIVES, ("Test", "Boom"), _Boom)
    header = {"namespace": "Test", "name": "Boom", "messageId": "m"}
    message = {"directive": {"header": header, "payload": {"value": 1}}}
    assert errors(message) == ["unreadable message: TypeError: a validator bug"]
    with pytest.raises(ProtocolError, match="TypeError"):
        parse_message(message)


def test_validate_cli_reports_a_huge_integer_as_an_error_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text(play_text(token="t").replace('"token": "t"', '"token": ' + "1" * 5000))
    valid, lines = check_file(str(path), show_path=False)
    assert not valid
    assert lines == [f"error {STREAM}.token: integer of 5000 digits is too long to read"]


# --- defect 4: a close delimiter mid-stream ---------------------------------------------------


def test_close_delimiter_mid_stream_ends_the_body_and_says_so() -> None:
    from clova_client.protocol.multipart import encode_directive_part

    parser = MultipartParser("b0und")
    hello = {"directive": {"header": {"namespace": "Clova", "name": "Hello", "messageId": "h"}}}
    stream = encode_directive_part(hello, "b0und", first=True) + b"--\r\n"
    stream += encode_directive_part(PLAY, "b0und", first=True)
    parts = parser.feed(stream)
    assert [json.loads(p.body)["directive"]["header"]["name"] for p in parts] == ["Hello"]
    assert parser.closed
    assert parser.feed(encode_directive_part(PLAY, "b0und")) == []
