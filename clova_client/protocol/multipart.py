"""Incremental multipart codec for the CIC downchannel, event requests and their responses.

Library choice: python-multipart and defnull ``multipart`` (2.0.1) were tried. Both end a part only
once the CRLF (or ``--``) *after* ``\\r\\n--boundary`` arrives, so a never-ending downchannel would
hold each directive until the next one; python-multipart also rejects a preamble, and ``multipart``
requires Content-Disposition (fails on multipart/related) and rejects transport padding. Hence
this small parser; header parameters are parsed with the stdlib ``email`` package.

A part ends at ``\\r\\n--boundary`` (RFC 2046 5.1.1: the boundary must not begin any line of a
body, and a match at the start of a line suffices), so it is yielded the moment those bytes arrive.
"""

from __future__ import annotations

import enum
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

__all__ = [
    "MultipartError",
    "MultipartParser",
    "Part",
    "PartialPart",
    "attachment_part",
    "boundary_from_content_type",
    "encode_directive_part",
    "encode_event",
    "encode_multipart",
    "json_bytes",
]

_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# RFC 2046 bchars: 1-70 characters, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_MAX_HEADER_BYTES = 64 * 1024
_MAX_PADDING = 1024


class MultipartError(Exception):
    """The multipart input is malformed or exceeds a limit."""


def _param(header_value: str | None, param: str) -> str | None:
    if header_value is None:
        return None
    msg = Message()
    msg["x"] = header_value
    value = msg.get_param(param, header="x")
    return None if value is None else collapse_rfc2231_value(value)


@dataclass(frozen=True)
class Part:
    """One body part. Header names are lower-cased on construction."""

    headers: dict[str, str]
    body: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", {k.lower(): v for k, v in self.headers.items()})

    @property
    def name(self) -> str | None:
        """The ``name`` parameter of Content-Disposition."""
        return _param(self.headers.get("content-disposition"), "name")

    @property
    def content_id(self) -> str | None:
        """Content-ID without the surrounding ``<angle brackets>``."""
        cid = self.headers.get("content-id")
        if cid is None:
            return None
        cid = cid.strip()
        return cid[1:-1] if cid.startswith("<") and cid.endswith(">") else cid

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class PartialPart:
    """The part whose body is still arriving (``MultipartParser.partial``)."""

    headers: dict[str, str]
    received: int
    """Body bytes surely in the body so far (a tail that could begin the delimiter waits)."""
    start: int
    """Offset of the body's first byte in the stream fed to the parser."""

    @property
    def name(self) -> str | None:
        return _param(self.headers.get("content-disposition"), "name")


def _check_boundary(boundary: str, error: type[Exception] = MultipartError) -> str:
    if not _BOUNDARY.fullmatch(boundary):
        raise error(f"invalid multipart boundary {boundary!r} (RFC 2046: 1-70 bchars)")
    return boundary


def boundary_from_content_type(content_type: str) -> str:
    """The boundary parameter of a ``multipart/*`` Content-Type header value."""
    msg = Message()
    msg["content-type"] = content_type
    if msg.get_content_maintype() != "multipart":
        raise MultipartError(f"not a multipart content type: {content_type!r}")
    boundary = msg.get_boundary()
    if boundary is None:
        raise MultipartError(f"no boundary parameter in content type {content_type!r}")
    return _check_boundary(boundary)


def _parse_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n") if block else []:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
            raise MultipartError(f"malformed part header line {line!r}: expected 'Name: value'")
        try:
            text = value.strip(b" \t").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MultipartError(f"part header line {line!r} is not UTF-8") from exc
        key = name.decode("ascii").lower()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class _State(enum.Enum):
    PREAMBLE = enum.auto()
    AFTER_DELIMITER = enum.auto()
    HEADERS = enum.auto()
    BODY = enum.auto()
    CLOSED = enum.auto()


class MultipartParser:
    """Push parser: feed chunks as they arrive, get every part completed so far."""

    def __init__(self, boundary: str, *, max_part_bytes: int = 16 * 1024 * 1024) -> None:
        self._delimiter = b"\r\n--" + _check_boundary(boundary).encode("ascii")
        self._max_part_bytes = max_part_bytes
        # A virtual CRLF lets the first delimiter sit at the very start of the stream.
        self._buf = bytearray(b"\r\n")
        self._total = len(self._buf)  # bytes ever put in the buffer, the virtual CRLF included
        self._scan = 0  # where the delimiter search resumes inside a body
        self._state = _State.PREAMBLE
        self._headers: dict[str, str] = {}
        self._error: MultipartError | None = None

    @classmethod
    def from_content_type(cls, content_type: str) -> MultipartParser:
        return cls(boundary_from_content_type(content_type))

    @property
    def closed(self) -> bool:
        """True once the closing ``--boundary--`` was seen; later input is ignored."""
        return self._state is _State.CLOSED

    @property
    def partial(self) -> PartialPart | None:
        """The part whose body is being read (None between parts): for a body that streams,
        such as a Recognize's audio, before its delimiter comes."""
        if self._state is not _State.BODY or self._error is not None:
            return None
        buf, delim = self._buf, self._delimiter
        held = next(
            (k for k in range(min(len(delim) - 1, len(buf)), 0, -1) if buf.endswith(delim[:k])),
            0,
        )
        start = self._total - len(buf) - 2
        return PartialPart(dict(self._headers), len(buf) - held, start)

    def feed(self, chunk: bytes) -> list[Part]:
        """Every part completed by this chunk, in order.

        Raises MultipartError on malformed input. If parts were completed before the error in
        the same chunk, they are returned and the error is raised by the next call instead.
        """
        if self._error is not None:
            raise self._error
        if self._state is _State.CLOSED:
            return []
        self._buf += chunk
        self._total += len(chunk)
        parts: list[Part] = []
        try:
            while self._step(parts):
                pass
        except MultipartError as exc:
            self._error = exc
            self._buf = bytearray()  # never read again: up to max_part_bytes freed at once
            if not parts:
                raise
        return parts

    def _step(self, parts: list[Part]) -> bool:
        """Advance by one state; False when more input is needed."""
        buf, delim = self._buf, self._delimiter
        if self._state is _State.PREAMBLE:
            i = buf.find(delim)
            if i < 0:
                del buf[: max(0, len(buf) - len(delim) + 1)]
                return False
            del buf[: i + len(delim)]
            self._state = _State.AFTER_DELIMITER
        elif self._state is _State.AFTER_DELIMITER:
            if buf.startswith(b"--"):
                buf.clear()
                self._state = _State.CLOSED
                return False
            padding = len(buf) - len(buf.lstrip(b" \t"))
            rest = buf[padding:]
            if padding > _MAX_PADDING:
                raise MultipartError("too much transport padding after a boundary delimiter")
            if rest.startswith(b"\r\n"):
                del buf[:padding]  # keep the CRLF: the header block search includes it
                self._state = _State.HEADERS
            elif bytes(rest) in (b"", b"\r") or (not padding and buf == b"-"):
                return False
            else:
                raise MultipartError(
                    f"expected CRLF or '--' after boundary delimiter, got {bytes(buf[:16])!r}"
                )
        elif self._state is _State.HEADERS:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEADER_BYTES:
                    raise MultipartError(f"part headers exceed {_MAX_HEADER_BYTES} bytes")
                return False
            self._headers = _parse_headers(bytes(buf[2:end]))
            del buf[: end + 4]
            self._scan = 0
            self._state = _State.BODY
        else:  # BODY
            i = buf.find(delim, self._scan)
            if i < 0:
                self._scan = max(0, len(buf) - len(delim) + 1)
                if self._scan > self._max_part_bytes:
                    raise MultipartError(f"part body exceeds {self._max_part_bytes} bytes")
                return False
            if i > self._max_part_bytes:
                raise MultipartError(f"part body exceeds {self._max_part_bytes} bytes")
            parts.append(Part(self._headers, bytes(buf[:i])))
            del buf[: i + len(delim)]
            self._state = _State.AFTER_DELIMITER
        return True


def _canonical(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))


def _encode_part(part: Part, boundary: str) -> bytes:
    """CRLF ending the previous delimiter line, headers, blank line, body, next delimiter."""
    out = bytearray(b"\r\n")
    for name, value in part.headers.items():
        if not _TOKEN.fullmatch(name.encode("ascii", "replace")) or set(value) & {"\r", "\n"}:
            raise ValueError(f"invalid header {name!r}: {value!r}")
        out += f"{_canonical(name)}: {value}\r\n".encode()
    marker = b"\r\n--" + boundary.encode("ascii")
    if marker in b"\r\n" + part.body:
        raise ValueError(f"a line of the part body starts with the boundary {boundary!r}")
    out += b"\r\n" + part.body + marker
    return bytes(out)


def _content_type(subtype: str, boundary: str) -> str:
    quoted = boundary if _TOKEN.fullmatch(boundary.encode("ascii")) else f'"{boundary}"'
    return f"multipart/{subtype}; boundary={quoted}"


def encode_multipart(
    parts: Sequence[Part], boundary: str | None = None, subtype: str = "form-data"
) -> tuple[bytes, str]:
    """A complete multipart body and its Content-Type value. Random boundary when None.

    Raises ValueError for a bad header, or when ``boundary`` begins a line of some body.
    """
    if boundary is None:
        while True:
            boundary = secrets.token_hex(16)
            if not any(b"\r\n--" + boundary.encode() in b"\r\n" + p.body for p in parts):
                break
    _check_boundary(boundary, ValueError)
    body = b"--" + boundary.encode("ascii")
    body += b"".join(_encode_part(p, boundary) for p in parts) + b"--\r\n"
    return body, _content_type(subtype, boundary)


def json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON. A string UTF-8 cannot carry (a lone surrogate, e.g. from a file name
    read with ``surrogateescape``) makes it fall back to ``\\uXXXX`` escapes for every
    non-ASCII character: still valid JSON with the same strings, so it always encodes."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _json_part(name: str, obj: dict[str, Any]) -> Part:
    return Part(
        {
            "content-disposition": f'form-data; name="{name}"',
            "content-type": "application/json; charset=UTF-8",
        },
        json_bytes(obj),
    )


def encode_event(event: dict[str, Any], audio: bytes | None = None) -> tuple[bytes, str]:
    """A ``POST /v1/events`` body: part ``metadata`` (JSON) and, if given, part ``audio``.

    Any JSON-serialisable event encodes, whatever its strings hold (see ``json_bytes``)."""
    parts = [_json_part("metadata", event)]
    if audio is not None:
        audio_headers = {
            "content-disposition": 'form-data; name="audio"',
            "content-type": "application/octet-stream",
        }
        parts.append(Part(audio_headers, audio))
    return encode_multipart(parts)


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    """A ``POST /v1/events`` body sent as its audio arrives (Recognize): ``head`` (the
    ``metadata`` part and the ``audio`` part's headers), then the audio bytes as they come,
    then ``tail``. The boundary is 32 random hex digits: PCM that happened to hold a CRLF, two
    dashes and those digits would end the part early (odds of 2**-128 per position)."""

    head: bytes
    tail: bytes
    content_type: str


def streamed_event(event: dict[str, Any]) -> StreamedEvent:
    boundary = secrets.token_hex(16)
    audio = '\r\nContent-Disposition: form-data; name="audio"\r\n'
    audio += "Content-Type: application/octet-stream\r\n\r\n"
    head = b"--" + boundary.encode("ascii") + _encode_part(_json_part("metadata", event), boundary)
    return StreamedEvent(
        head + audio.encode("ascii"),
        b"\r\n--" + boundary.encode("ascii") + b"--\r\n",
        _content_type("form-data", boundary),
    )


def _stream_piece(part: Part, boundary: str, first: bool) -> bytes:
    _check_boundary(boundary, ValueError)
    return (b"--" + boundary.encode("ascii") if first else b"") + _encode_part(part, boundary)


def encode_directive_part(
    directive: dict[str, Any], boundary: str, *, first: bool = False
) -> bytes:
    """One directive of a never-ending downchannel body, for the mock server.

    The bytes end with the delimiter ``\\r\\n--boundary``, so the client yields the part at once;
    they start with the CRLF that ends the previous delimiter line. Pass ``first=True`` for the
    stream's first piece (prefixes ``--boundary``). Append ``b"--\\r\\n"`` to close a body.
    """
    return _stream_piece(_json_part("directive", directive), boundary, first)


def attachment_part(
    content_id: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    *,
    boundary: str,
    first: bool = False,
) -> bytes:
    """A binary part with Content-ID (as CIC sends it, no angle brackets); framed as above."""
    headers = {
        "content-disposition": f'form-data; name="attachment-{content_id}"',
        "content-id": content_id,
        "content-type": content_type,
    }
    return _stream_piece(Part(headers, data), boundary, first)
