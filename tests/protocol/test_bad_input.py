"""Bad input gives a clear ProtocolError (or a generic directive), never any other exception."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clova_client.protocol import ProtocolError, parse_directive, parse_event
from clova_client.protocol.base import GenericPayload
from clova_client.protocol.registry import (
    MAX_DEPTH,
    MAX_MESSAGE_BYTES,
    TOO_DEEP,
    parse_event_request,
    parse_extension_response,
)
from clova_client.protocol.validate import parse_message

from .spec import doc, fixture_names, raw

PLAY = doc("cic-audioplayer__play__2")
PLAY["directive"]["header"]["name"] = "Play"  # the plain form, without the erratum


def play_with(path: str, value: Any) -> dict[str, Any]:
    """PLAY with one field set (``value`` is DELETE to remove it)."""
    message: dict[str, Any] = copy.deepcopy(PLAY)
    *parents, last = path.split(".")
    node = message
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return message


DELETE = object()
STREAM = "directive.payload.audioItem.stream"


def errors(call: Callable[[Any], Any], message: Any) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        call(message)
    return [str(e) for e in info.value.errors]


def test_the_base_message_is_valid() -> None:
    assert parse_directive(PLAY).full_name == "AudioPlayer.Play"


@pytest.mark.parametrize("cut", [1, 20, 100, 400, -2])
def test_truncated_json(cut: int) -> None:
    text = json.dumps(PLAY)[:cut]
    (line,) = errors(parse_directive, text)
    assert line.startswith("malformed JSON: ")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("directive.payload.playBehavior", 5, "directive.payload.playBehavior: input should be"),
        (
            "directive.payload.playBehavior",
            "NOW",
            "directive.payload.playBehavior: input should be 'REPLACE_ALL', 'ENQUEUE'",
        ),
        ("directive.payload.audioItem", "x", "directive.payload.audioItem: input should be"),
        (f"{STREAM}.beginAtInMilliseconds", "soon", f"{STREAM}.beginAtInMilliseconds: input"),
        (f"{STREAM}.beginAtInMilliseconds", -1, f"{STREAM}.beginAtInMilliseconds: input should"),
        (f"{STREAM}.urlPlayable", "yes?", f"{STREAM}.urlPlayable: input should be a valid bool"),
        (
            f"{STREAM}.progressReport.progressReportPositionInMilliseconds",
            -5,
            f"{STREAM}.progressReport.progressReportPositionInMilliseconds: must not be negative",
        ),
        (f"{STREAM}.progressReport", [], f"{STREAM}.progressReport: input should be"),
        ("directive.header.messageId", 7, "directive.header.messageId: input should be a valid"),
        ("directive.header.namespace", "", "directive.header.namespace: string should have"),
        ("directive.header", None, "directive.header: input should be"),
        ("directive.payload", None, "directive.payload: input should be"),
    ],
)
def test_wrong_types_name_the_field(path: str, value: Any, expected: str) -> None:
    lines = errors(parse_directive, play_with(path, value))
    assert any(line.startswith(expected) for line in lines), lines


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("directive.payload.audioItem.audioItemId", "directive.payload.audioItem.audioItemId"),
        ("directive.payload.audioItem.stream", STREAM),
        ("directive.payload.playBehavior", "directive.payload.playBehavior"),
        ("directive.payload.audioItem", "directive.payload.audioItem"),
        ("directive.header.messageId", "directive.header.messageId"),
        ("directive.header.name", "directive.header.name"),
        ("directive.header", "directive.header"),
    ],
)
def test_missing_required_fields(path: str, expected: str) -> None:
    lines = errors(parse_directive, play_with(path, DELETE))
    assert f"{expected}: field required" in lines or any(
        line.startswith(f"{expected}: input should be") for line in lines
    ), lines


def test_conditionally_required_stream_fields_name_the_field() -> None:
    """token is required when urlPlayable is false, url otherwise: the path ends in the field."""
    no_token = play_with(f"{STREAM}.token", DELETE)
    assert errors(parse_directive, no_token) == [
        f"{STREAM}.token: field required when urlPlayable is false"
    ]
    no_url = play_with(f"{STREAM}.urlPlayable", True)
    del no_url["directive"]["payload"]["audioItem"]["stream"]["url"]
    assert errors(parse_directive, no_url) == [
        f"{STREAM}.url: field required unless urlPlayable is false"
    ]


def test_every_problem_is_reported() -> None:
    message = play_with("directive.payload.playBehavior", "NOW")
    del message["directive"]["payload"]["audioItem"]["audioItemId"]
    lines = errors(parse_directive, message)
    assert len(lines) == 2
    assert "directive.payload.audioItem.audioItemId: field required" in lines


@pytest.mark.parametrize(
    ("namespace", "name"), [("Alerts", "SetAlert"), ("AudioPlayer", "Teleport"), ("Clova", "X")]
)
def test_unknown_directive_is_kept_whole_as_generic(namespace: str, name: str) -> None:
    payload = {"a": [1, {"b": None}], "c": "한글", "d": 1.5, "e": "15"}
    message = {
        "directive": {
            "header": {"namespace": namespace, "name": name, "messageId": "m"},
            "payload": payload,
        }
    }
    directive = parse_directive(json.dumps(message))
    assert not directive.known
    assert directive.full_name == f"{namespace}.{name}"
    assert isinstance(directive.payload, GenericPayload)
    assert directive.payload.to_json() == payload


@pytest.mark.parametrize("as_bytes", [True, False])
def test_ten_megabyte_payload_is_refused_before_decoding(as_bytes: bool) -> None:
    message = play_with("directive.payload.audioItem.lyrics", "x" * 10_000_000)
    text = json.dumps(message)
    (line,) = errors(parse_directive, text.encode() if as_bytes else text)
    assert line == f"message too large: {len(text)} bytes (limit {MAX_MESSAGE_BYTES})"
    (line,) = errors(parse_event, text)
    assert line.startswith("message too large")


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"n": value}
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH, 500, 5000, 100_000])
def test_deeply_nested_json(depth: int) -> None:
    deep = '{"n":' * depth + '"bottom"' + "}" * depth
    text = json.dumps(play_with(f"{STREAM}.deep", "DEEP")).replace('"DEEP"', deep)
    assert errors(parse_directive, text) == [TOO_DEEP]
    assert errors(parse_message, text) == [TOO_DEEP]


def test_deeply_nested_decoded_dict() -> None:
    assert errors(parse_directive, play_with(f"{STREAM}.deep", nested(300))) == [TOO_DEEP]


def test_brackets_beyond_the_json_decoder_limit() -> None:
    assert errors(parse_directive, "[" * 200_000) == [TOO_DEEP]


def test_nesting_within_the_limit_is_kept() -> None:
    deep = nested(MAX_DEPTH - 8)
    directive = parse_directive(json.dumps(play_with(f"{STREAM}.deep", deep)))
    assert directive.payload.audio_item.stream.raw["deep"] == deep


@pytest.mark.parametrize("text", ["[]", "1", '"directive"', "null", "true", "[{}]"])
def test_non_object_json(text: str) -> None:
    for call in (parse_directive, parse_event, parse_message):
        (line,) = errors(call, text)
        assert line.startswith("expected a JSON object, got ")


@pytest.mark.parametrize("body", [[], "x", None, 3])
def test_directive_or_event_not_an_object(body: Any) -> None:
    assert errors(parse_directive, {"directive": body}) == ["directive: expected an object"]
    assert errors(parse_event, {"event": body}) == ["event: expected an object"]


def test_no_envelope_at_all() -> None:
    assert errors(parse_directive, {"foo": 1}) == ["directive: field required"]
    assert errors(parse_event, {}) == ["event: field required"]
    assert errors(parse_message, {"foo": 1}) == [
        "unrecognised message: not a directive, event, context or known payload"
    ]


def test_bad_event_context() -> None:
    event = doc("cic-audioplayer__play-started")
    assert errors(parse_event, {**event, "context": {}}) == ["context: expected a list"]
    assert errors(parse_event, {**event, "context": ["x"]}) == ["context[0]: expected an object"]
    bad = copy.deepcopy(event)
    bad["context"][0]["payload"]["playerActivity"] = "DANCING"
    (line,) = errors(parse_event, bad)
    assert line.startswith("context[0].payload.playerActivity: input should be 'IDLE'")


def test_bad_cek_envelopes() -> None:
    assert errors(parse_extension_response, {"response": []}) == ["response: expected an object"]
    assert errors(parse_extension_response, {"response": {"directives": {}}}) == [
        "response.directives: expected a list"
    ]
    response = doc("cek-audio-content__play")
    response["response"]["directives"].append("x")
    del response["response"]["directives"][0]["payload"]["playBehavior"]
    assert errors(parse_extension_response, response) == [
        "response.directives[0].payload.playBehavior: field required",
        "response.directives[1]: expected an object",
    ]
    request = doc("cek-audio-content__play-stopped")
    del request["request"]["event"]["name"]
    assert errors(parse_event_request, request) == [
        "request.event.name: input should be a valid string"
    ]
    assert errors(parse_event_request, {"request": {}}) == ["request.event: field required"]


# --- fuzzing: only ProtocolError or a result -------------------------------------------------

KEYS = [
    "directive", "event", "context", "header", "payload", "namespace", "name", "messageId",
    "dialogRequestId", "audioItem", "audioItemId", "stream", "audioStream", "playBehavior",
    "url", "urlPlayable", "token", "progressReport", "playerActivity", "code", "response",
    "directives", "request", "MediaPlayer", "sec", "AudioPlayer", "Play", "StreamDeliver",
    "PlaybackState", "System", "Exception", "PlayFailed", "PreviousFailed",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(KEYS)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=30,
)
PARSERS: list[Callable[[Any], object]] = [
    parse_directive,
    parse_event,
    parse_message,
    parse_extension_response,
    parse_event_request,
]


def only_protocol_errors(message: Any) -> None:
    for parse in PARSERS:
        try:
            parse(message)
        except ProtocolError as exc:
            assert exc.errors and all(str(e) for e in exc.errors)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    only_protocol_errors(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_random_json(value: Any) -> None:
    only_protocol_errors(json.dumps(value))
    if isinstance(value, dict):
        only_protocol_errors(value)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> Any:
    """A spec example with one value somewhere replaced by random JSON."""
    message = doc(draw(st.sampled_from(fixture_names())))
    node = message
    while isinstance(node, dict | list) and node and draw(st.integers(0, 4)):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(values)
            break
        node = node[key]
    return message


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixtures())
def test_mutated_spec_examples(message: Any) -> None:
    only_protocol_errors(json.dumps(message))


@pytest.mark.parametrize("name", fixture_names())
def test_truncated_spec_examples(name: str) -> None:
    data = raw(name)
    for cut in range(1, len(data) - 1, max(1, len(data) // 7)):
        with pytest.raises(ProtocolError):
            parse_message(data[:cut])
