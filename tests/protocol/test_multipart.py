"""Tests for the incremental multipart codec (clova_client.protocol.multipart)."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from python_multipart.multipart import MultipartParser as ReferenceParser

from clova_client.protocol.multipart import (
    MultipartError,
    MultipartParser,
    Part,
    attachment_part,
    boundary_from_content_type,
    encode_directive_part,
    encode_event,
    encode_multipart,
)

HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)

BCHARS = string.ascii_letters + string.digits + "'()+_,-./:=? "
boundaries = st.text(BCHARS, min_size=1, max_size=70).filter(lambda b: not b.endswith(" "))
header_values = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20).map(str.strip)
header_sets = st.builds(
    lambda extra, special: {**extra, **special},
    st.dictionaries(st.from_regex(r"x-[a-z0-9-]{1,10}", fullmatch=True), header_values, max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "content-id": st.from_regex(r"<?[a-z0-9.@-]{1,20}>?", fullmatch=True),
            "content-type": st.sampled_from(
                ["application/json; charset=UTF-8", "application/octet-stream", "audio/mpeg"]
            ),
            "content-disposition": st.from_regex(r"[a-zA-Z0-9-]{1,20}", fullmatch=True).map(
                lambda n: f'form-data; name="{n}"'
            ),
        },
    ),
)


def lookalikes(boundary: str) -> list[bytes]:
    """Byte strings that resemble, but are not, a delimiter for `boundary`."""
    b = boundary.encode()
    return [b"\r\n", b"\r", b"\n", b"--", b"x--" + b, b"x--" + b + b"--", b"\r\n--" + b[:-1],
            b"\r\n-" + b, b"\n--" + b, b"\r--" + b, b"\r\n--", b"\r\n\r\n"]  # fmt: skip


def no_delimiter(body: bytes, boundary: str) -> bool:
    """RFC 2046: no line of a body may start with --boundary."""
    return b"\r\n--" + boundary.encode() not in b"\r\n" + body


@st.composite
def bodies(draw: st.DrawFn, boundary: str) -> bytes:
    pieces = st.one_of(st.binary(max_size=30), st.sampled_from(lookalikes(boundary)))
    body = b"".join(draw(st.lists(pieces, max_size=8)))
    assume(no_delimiter(body, boundary))
    return body


def delimiter_ends(stream: bytes, boundary: str) -> list[int]:
    """Offset just past each `\\r\\n--boundary` in the stream (computed without the encoder)."""
    delim = b"\r\n--" + boundary.encode()
    virtual = b"\r\n" + stream  # the first delimiter may open the stream without a CRLF
    ends, i = [], virtual.find(delim)
    while i >= 0:
        ends.append(i + len(delim) - 2)
        i = virtual.find(delim, i + len(delim))
    return ends


def split(data: st.DataObject, stream: bytes) -> list[bytes]:
    if data.draw(st.booleans(), label="one-byte chunks"):
        return [stream[i : i + 1] for i in range(len(stream))]
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(stream)), max_size=12))))
    return [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]


@HYPOTHESIS
@given(st.data())
def test_random_streams_yield_each_part_as_soon_as_its_delimiter_arrives(
    data: st.DataObject,
) -> None:
    boundary = data.draw(boundaries, label="boundary")
    parts = data.draw(st.lists(st.builds(Part, header_sets, bodies(boundary)), max_size=5))
    subtype = data.draw(st.sampled_from(["form-data", "related"]))
    preamble = data.draw(st.one_of(st.just(b""), st.binary(max_size=20).map(lambda p: p + b"\r\n")))
    epilogue = data.draw(st.binary(max_size=20))
    body, content_type = encode_multipart(parts, boundary, subtype)
    assert content_type.startswith(f"multipart/{subtype}; boundary=")
    stream = preamble + body + epilogue
    ends = delimiter_ends(stream, boundary)
    assume(ends and ends[0] == len(preamble) + 2 + len(boundary))  # the preamble holds no delimiter
    part_ends, close_at = ends[1 : len(parts) + 1], ends[len(parts)] + 2

    parser = MultipartParser.from_content_type(content_type)
    got: list[Part] = []
    fed = 0
    for chunk in split(data, stream):
        got += parser.feed(chunk)
        fed += len(chunk)
        assert len(got) == sum(end <= fed for end in part_ends)
        assert parser.closed == (fed >= close_at)
    assert got == parts


@HYPOTHESIS
@given(st.data())
def test_downchannel_pieces_are_yielded_one_by_one(data: st.DataObject) -> None:
    boundary = data.draw(boundaries, label="boundary")
    json_values = st.one_of(st.none(), st.integers(), st.text(max_size=10))
    directives = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
    attachments = st.tuples(st.from_regex(r"[a-z0-9-]{1,36}", fullmatch=True), bodies(boundary))
    items = data.draw(st.lists(st.one_of(directives, attachments), min_size=1, max_size=6))
    parser = MultipartParser(boundary)
    assert parser.feed(b"HTTP preamble\r\n") == []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            (part,) = parser.feed(encode_directive_part(item, boundary, first=i == 0))
            assert part.json() == item
            assert part.content_type == "application/json; charset=UTF-8"
        else:
            cid, blob = item
            (part,) = parser.feed(attachment_part(cid, blob, boundary=boundary, first=i == 0))
            assert (part.content_id, part.body) == (cid, blob)
            assert part.content_type == "application/octet-stream"
        assert not parser.closed
    assert parser.feed(b"--\r\n") == []
    assert parser.closed


CIC_RESPONSE = (
    b"--b4bc211b\r\n"
    b'Content-Disposition: form-data; name="speakDirective-836d8db7"\r\n'
    b"Content-Type: application/json; charset=utf-8\r\n\r\n"
    b'{"directive":{"header":{"namespace":"SpeechSynthesizer","name":"Speak"},'
    b'"payload":{"url":"cid:d329085c-379e"}}}\r\n'
    b"\r\n--b4bc211b\r\n"
    b'Content-Disposition: form-data; name="attachment-39b2f844"\r\n'
    b"Content-Id: d329085c-379e\r\n"
    b"Content-Type: application/octet-stream\r\n\r\n"
    b"\xff\xfb\x90\r\n--b4bc211\x00"
    b"\r\n--b4bc211b--\r\n"
)


def test_cic_guide_response_shape() -> None:
    parser = MultipartParser.from_content_type("multipart/related; boundary=b4bc211b;")
    speak, audio = parser.feed(CIC_RESPONSE)
    assert parser.closed
    assert speak.name == "speakDirective-836d8db7"
    assert speak.json()["directive"]["header"]["name"] == "Speak"
    assert speak.json()["directive"]["payload"]["url"] == f"cid:{audio.content_id}"
    assert audio.body == b"\xff\xfb\x90\r\n--b4bc211\x00"


def test_preamble_transport_padding_and_epilogue_are_skipped() -> None:
    parser = MultipartParser("frontier")
    stream = (
        b"A preamble that mentions --frontier mid-line.\r\n-frontier\r\n"
        b"--frontier \t\r\nX-A: 1\r\n\r\nfirst\r\n--frontier\r\n\r\nsecond"
        b"\r\n--frontier-- \r\nepilogue\r\n--frontier\r\nX-B: 2\r\n\r\nignored\r\n--frontier"
    )
    assert parser.feed(stream) == [Part({"x-a": "1"}, b"first"), Part({}, b"second")]
    assert parser.closed
    assert parser.feed(b"\r\nmore: junk\r\n\r\n\r\n--frontier") == []


def test_closing_delimiter_split_across_chunks() -> None:
    parser = MultipartParser("b")
    assert parser.feed(b"--b\r\n\r\nbody\r\n--b") == [Part({}, b"body")]
    assert not parser.closed
    assert parser.feed(b"-") == []
    assert not parser.closed
    assert parser.feed(b"-") == []
    assert parser.closed


def test_malformed_header_raises_clear_error() -> None:
    parser = MultipartParser("b")
    with pytest.raises(MultipartError, match=r"malformed part header line b'no colon here'"):
        parser.feed(b"--b\r\nContent-Type: text/plain\r\nno colon here\r\n\r\nbody\r\n--b")
    with pytest.raises(MultipartError):  # the parser stays failed
        parser.feed(b"\r\n\r\nx\r\n--b")


def test_error_after_a_complete_part_is_raised_on_the_next_feed() -> None:
    parser = MultipartParser("b")
    # "\r\n--bX" starts a line with the boundary, so per RFC 2046 it is a (broken) delimiter.
    assert parser.feed(b"--b\r\n\r\none\r\n--bX\r\n") == [Part({}, b"one")]
    with pytest.raises(MultipartError, match="after boundary delimiter"):
        parser.feed(b"")


def test_part_over_max_part_bytes_raises_before_its_end_arrives() -> None:
    parser = MultipartParser("b", max_part_bytes=10)
    assert parser.feed(b"--b\r\n\r\n" + b"x" * 10 + b"\r\n--b") == [Part({}, b"x" * 10)]
    # 14 more bytes could still be 10 body bytes plus "\r\n--" (a partial delimiter): no verdict.
    assert parser.feed(b"\r\n\r\n" + b"y" * 14) == []
    with pytest.raises(MultipartError, match="exceeds 10 bytes"):
        parser.feed(b"y")


def test_encode_event_round_trip_with_audio() -> None:
    event = {"context": [], "event": {"header": {"namespace": "S", "name": "Recognize"}}}
    audio = b"\x00\r\n--\r\n\xff" * 100
    body, content_type = encode_event(event, audio)
    assert content_type.startswith("multipart/form-data; boundary=")
    metadata, audio_part = MultipartParser.from_content_type(content_type).feed(body)
    assert (metadata.name, metadata.json()) == ("metadata", event)
    assert metadata.content_type == "application/json; charset=UTF-8"
    assert (audio_part.name, audio_part.body) == ("audio", audio)
    assert audio_part.content_type == "application/octet-stream"


def test_encode_event_without_audio_is_read_by_an_independent_parser() -> None:
    event: dict[str, Any] = {"event": {"header": {"name": "안녕"}, "payload": {}}}
    body, content_type = encode_event(event)
    bodies: list[bytes] = []
    callbacks: Any = {
        "on_part_begin": lambda: bodies.append(b""),
        "on_part_data": lambda data, start, end: bodies.append(bodies.pop() + data[start:end]),
    }
    ReferenceParser(boundary_from_content_type(content_type), callbacks).write(body)
    assert [Part({}, b).json() for b in bodies] == [event]


def test_part_header_accessors() -> None:
    part = Part(
        {
            "Content-ID": " <abc@clova> ",
            "Content-Disposition": 'form-data; filename="f.mp3"; name="attachment-1"',
            "Content-Type": "audio/mpeg",
        },
        b"",
    )
    assert set(part.headers) == {"content-id", "content-disposition", "content-type"}
    assert part.content_id == "abc@clova"
    assert part.name == "attachment-1"
    assert part.content_type == "audio/mpeg"
    assert Part({"content-id": "plain-id"}, b"").content_id == "plain-id"
    empty = Part({}, b"")
    assert (empty.name, empty.content_id, empty.content_type) == (None, None, None)


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/related; boundary=b4bc211b;", "b4bc211b"),
        ('multipart/form-data; boundary="a b:c"', "a b:c"),
        ('Multipart/Related; type="application/json"; boundary=x', "x"),
    ],
)
def test_boundary_from_content_type(content_type: str, boundary: str) -> None:
    assert boundary_from_content_type(content_type) == boundary


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "text/plain; boundary=x", 'multipart/related; boundary=""', "x" * 3],
)
def test_boundary_from_content_type_rejects(content_type: str) -> None:
    with pytest.raises(MultipartError, match=r"boundary|multipart"):
        boundary_from_content_type(content_type)


def test_encoder_refuses_bodies_and_headers_that_would_break_framing() -> None:
    with pytest.raises(ValueError, match="starts with the boundary"):
        encode_multipart([Part({}, b"ok\r\n--bnd and more")], "bnd")
    with pytest.raises(ValueError, match="starts with the boundary"):
        attachment_part("id", b"--bnd", boundary="bnd")
    with pytest.raises(ValueError, match="invalid header"):
        encode_multipart([Part({"x-a": "1\r\nInjected: yes"}, b"")], "bnd")
    with pytest.raises(ValueError, match="invalid multipart boundary"):
        encode_directive_part({}, "bad\r\nboundary")


@HYPOTHESIS
@given(
    audio=st.binary(max_size=3000).map(lambda b: b + b"\r\n--" * 3),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=40),
)
def test_partial_part_counts_a_streaming_body_without_ever_overcounting(
    audio: bytes, cuts: list[int]
) -> None:
    """A Recognize's audio part is counted while it streams: ``received`` only grows, never
    passes the bytes of the body that arrived, and ``start`` is where the body begins."""
    body, content_type = encode_event({"event": {}}, audio)
    parser = MultipartParser.from_content_type(content_type)
    start = body.index(audio, body.index(b"octet-stream"))
    fed, last, seen_audio = 0, 0, False
    positions = [*_running(cuts, len(body)), len(body)]
    for cut in positions:
        parts = parser.feed(body[fed:cut])
        fed = cut
        partial = parser.partial
        if partial is not None and partial.name == "audio":
            seen_audio = True
            assert partial.start == start
            assert last <= partial.received <= min(len(audio), max(0, fed - start))
            last = partial.received
        if any(p.name == "audio" for p in parts):
            assert parser.partial is None
    assert parser.closed and parser.partial is None
    if any(start < cut < start + len(audio) - 40 for cut in positions):
        assert seen_audio


def _running(cuts: list[int], end: int) -> list[int]:
    out, at = [], 0
    for cut in cuts:
        at += cut
        if at >= end:
            break
        out.append(at)
    return out


def test_partial_part_sees_audio_arrive_piece_by_piece() -> None:
    piece = bytes(range(256)) * 25  # 6400 bytes, 200 ms of 16 kHz 16-bit PCM
    body, content_type = encode_event({"event": {}}, piece * 3)
    head = body.index(piece)
    parser = MultipartParser.from_content_type(content_type)
    assert [p.name for p in parser.feed(body[: head + 10])] == ["metadata"]
    partial = parser.partial
    assert partial is not None and partial.name == "audio" and partial.start == head
    counts = [partial.received]
    for n in (1, 2, 3):
        parser.feed(body[head + 10 + (n - 1) * 6400 : head + 10 + n * 6400])
        assert parser.partial is not None
        counts.append(parser.partial.received)
    # the last 10 bytes fed begin the delimiter: they wait until it is whole
    assert counts == [10, 6410, 12810, 19200]
    (audio,) = parser.feed(body[head + 10 + 3 * 6400 :])
    assert audio.body == piece * 3 and parser.partial is None
