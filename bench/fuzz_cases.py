"""Hypothesis strategies for the fuzzing bench: hostile directives and the bytes that carry them.

A case is the bytes that follow a delimiter ``\\r\\n--b0und`` on the downchannel (normally one
part ending in the next delimiter). Directives come from the pydantic models' JSON schemas and
from the spec examples (tests/fixtures/spec), then hostile values are planted in them (lone
surrogates, huge integers, deep nesting, NaN, huge strings, ``cid:`` mentions and urls), then
the framing is mutated at the byte level (truncation, bit flips, boundary look-alikes, invalid
UTF-8, close delimiters, missing or stray attachments, garbage).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bench.fuzz_peer import BOUNDARY
from clova_client.protocol.registry import DIRECTIVES

SPEC = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "spec"
DELIMITER = b"\r\n--" + BOUNDARY.encode()
MEDIA_HOST = "https://fuzz.invalid"
URLS = [f"{MEDIA_HOST}/{n}" for n in ("a.mp3", "b.mp3", "404.mp3", "garbage.mp3", "stall.mp3")]
CID_URLS = ["cid:att-1", "cid:<att-2>", "cid:never-sent"]
TOKENS = ["tok-1", "tok-2", "live", ""]
HUGE_PART_ONE_IN = 2000
Json = Any


@dataclass(frozen=True)
class Case:
    """What the peer sends: ``data`` on the downchannel (or as an event's answer)."""

    kind: str
    data: bytes
    end_stream: bool = False
    """The peer ends the response after it (a truncated stream)."""
    event_reply: bool = False
    """Sent as the multipart answer to the next event POST instead."""


# --- JSON values --------------------------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELD_STRINGS = {
    "url": st.sampled_from(URLS + CID_URLS) | st.text(max_size=20),
    "token": st.sampled_from(TOKENS) | st.text(max_size=10),
    "audioItemId": st.sampled_from(["item-1", "item-2"]) | st.text(min_size=1, max_size=8),
    "playServiceId": st.sampled_from(["nugu.builtin.music", "svc"]) | st.text(max_size=8),
}


def from_schema(schema: Json, defs: Json, name: str = "") -> st.SearchStrategy[Json]:
    """A strategy for values of a pydantic JSON schema (the subset pydantic writes)."""
    if "$ref" in schema:
        target = schema["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: from_schema(defs[target], defs, name))
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs, name) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.text(max_size=6)
    kind = schema.get("type")
    if kind == "string":
        return FIELD_STRINGS.get(name, st.text(min_size=schema.get("minLength", 0), max_size=16))
    if kind == "integer":
        low = schema.get("minimum")
        return st.integers(low, 10**7) | st.sampled_from([-1, 2**63, 2**64 + 1])
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), max_size=3)
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, defs, k) for k, v in props.items() if k in required},
            optional={k: from_schema(v, defs, k) for k, v in props.items() if k not in required},
        )
    return json_values


@cache
def payload_strategies() -> dict[tuple[str, str], st.SearchStrategy[Json]]:
    out = {}
    for key, model in DIRECTIVES.items():
        schema = model.model_json_schema()
        out[key] = from_schema(schema, schema.get("$defs", {}))
    return out


@cache
def spec_directives() -> list[Json]:
    """Every directive the spec examples show, in the ``{"directive": ...}`` envelope."""
    found = []
    for path in sorted(SPEC.glob("*.json")):
        data = json.loads(path.read_bytes())
        bodies = [d for d in data.get("response", {}).get("directives", [])] or [
            data.get("directive", data)
        ]
        for body in bodies:
            header = body.get("header") if isinstance(body, dict) else None
            if (
                isinstance(header, dict)
                and (header.get("namespace"), header.get("name")) in DIRECTIVES
            ):
                header.setdefault("messageId", f"spec-{path.stem}")
                found.append({"directive": body})
    return found


@st.composite
def directives(draw: st.DrawFn) -> Json:
    """A directive from the models' schemas, or a spec example with a value replaced."""
    if draw(st.booleans()):
        message = copy.deepcopy(draw(st.sampled_from(spec_directives())))
        node = message["directive"]
        while isinstance(node, dict) and node and draw(st.integers(0, 3)):
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict) or draw(st.booleans()):
                node[key] = draw(json_values)
                break
            node = node[key]
        return message
    key = draw(
        st.sampled_from(sorted(payload_strategies()))
        | st.tuples(st.text(max_size=6), st.text(max_size=6))
    )
    payload = draw(payload_strategies()[key]) if key in DIRECTIVES else draw(json_values)
    header = {
        "namespace": key[0],
        "name": key[1],
        "messageId": draw(st.text(min_size=1, max_size=8)),
    }
    if draw(st.integers(0, 9)) == 0:
        header["dialogRequestId"] = draw(st.text(max_size=8))
    return {"directive": {"header": header, "payload": payload}}


# --- hostile values -----------------------------------------------------------------------

PLACE = "@@HOSTILE@@"
HOSTILE_KINDS = [
    "surrogate", "raw_surrogate", "huge_int", "deep", "nan", "big_string", "cid_text", "cid_url",
]  # fmt: skip


@st.composite
def hostile_text(draw: st.DrawFn, kind: str) -> bytes:
    """The JSON text (bytes) of one hostile value."""
    if kind == "surrogate":
        return (
            b'"' + draw(st.sampled_from([b"\\ud800", b"\\udfff", b"a\\udc80b", b"\\ud83d"])) + b'"'
        )
    if kind == "raw_surrogate":
        return (
            b'"' + draw(st.sampled_from([b"\xed\xa0\x80", b"\xff", b"\xc3(", b"\xe2\x82"])) + b'"'
        )
    if kind == "huge_int":
        return b"-" * draw(st.integers(0, 1)) + b"9" * draw(st.integers(4301, 20_000))
    if kind == "deep":
        depth = draw(st.integers(101, 5000))
        return b'{"n":' * depth + b"0" + b"}" * depth
    if kind == "nan":
        return draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999"]))
    if kind == "big_string":  # past MAX_MESSAGE_BYTES (2 MiB) now and then
        size = 2_200_000 if draw(st.integers(0, 99)) == 37 else draw(st.integers(1000, 300_000))
        return b'"' + b"x" * size + b'"'
    if kind == "cid_text":
        return b'"see \\"cid:att-1\\" and cid:never"'
    return json.dumps(draw(st.sampled_from(CID_URLS))).encode()


@st.composite
def plant(draw: st.DrawFn, message: Json) -> tuple[Json, bytes | None]:
    """Put the placeholder somewhere in ``message``; returns it and the text to put there."""
    if draw(st.integers(0, 2)):
        return message, None
    kind = draw(st.sampled_from(HOSTILE_KINDS))
    node = message["directive"]
    while True:
        keys = sorted(k for k, v in node.items() if isinstance(v, dict))
        if not keys or not draw(st.integers(0, 2)):
            break
        node = node[draw(st.sampled_from(keys))]
    field = (
        "url"
        if kind == "cid_url"
        else draw(st.sampled_from(["token", "playServiceId", "x", "url"]))
    )
    node[field] = PLACE
    return message, draw(hostile_text(kind))


# --- framing ------------------------------------------------------------------------------

JSON_HEADERS = b"Content-Type: application/json; charset=UTF-8\r\n"
LOOK_ALIKES = [
    DELIMITER, DELIMITER + b"--", DELIMITER[:-1] + b"X", DELIMITER[2:], DELIMITER + b" \t\r\n",
    DELIMITER[:-2], b"\r\n--", b"\r\n\r\n",
]  # fmt: skip


def part(body: bytes, headers: bytes = JSON_HEADERS) -> bytes:
    return b"\r\n" + headers + b"\r\n" + body + DELIMITER


def attachment(cid: str, data: bytes) -> bytes:
    headers = f"Content-ID: <{cid}>\r\nContent-Type: audio/mpeg\r\n".encode()
    return part(data, headers)


@st.composite
def directive_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    message, hostile = draw(plant(draw(directives())))
    text = json.dumps(message).encode()
    if hostile is not None:
        text = text.replace(json.dumps(PLACE).encode(), hostile)
    return ("hostile" if hostile is not None else "directive"), text


FRAMING_FAULT_ONE_IN = 25
"""Faults in the framing mostly end the channel (the client reconnects): one case in 25."""


@st.composite
def damage(draw: st.DrawFn, text: bytes) -> tuple[str, bytes]:
    """A directive's JSON with bits flipped, invalid UTF-8 put in, or bytes cut out, or not."""
    fault = draw(st.sampled_from(["none"] * 5 + ["flip", "raw", "cut"]))
    at = draw(st.integers(0, len(text)))
    if fault == "flip" and text:
        out = bytearray(text)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(out) - 1))
            out[i] ^= 1 << draw(st.integers(0, 7))
        return fault, bytes(out)
    if fault == "raw":
        junk = draw(st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\x00", b"\xc0\xaf"]))
        return fault, text[:at] + junk + text[at:]
    if fault == "cut":
        return fault, text[:at] + text[at + draw(st.integers(1, 40)) :]
    return "none", text


@st.composite
def break_framing(draw: st.DrawFn, data: bytes) -> tuple[str, bytes, bool]:
    """One fault anywhere in the bytes: (name, bytes, the stream ends after them)."""
    fault = draw(st.sampled_from(["flip", "truncate", "look_alike", "close", "garbage"]))
    at = draw(st.integers(0, len(data)))
    if fault == "flip":
        return fault, draw(damage(data))[1], False
    if fault == "truncate":
        return fault, data[:at], True
    if fault == "look_alike":
        return fault, data[:at] + draw(st.sampled_from(LOOK_ALIKES)) + data[at:], False
    if fault == "close":  # a close delimiter: the client must reopen the channel
        return fault, data + b"--\r\n", False
    return fault, data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:], False


def cid_play() -> Json:
    """A valid Play whose audio is the attachment ``att-1`` of the same body."""
    header = {"namespace": "AudioPlayer", "name": "Play", "messageId": "cid-play"}
    stream = {"url": "cid:att-1", "token": "cid-play"}
    item = {"audioItemId": "cid-play", "stream": stream}
    payload = {"playBehavior": "REPLACE_ALL", "audioItem": item}
    return {"directive": {"header": header, "payload": payload}}


@st.composite
def cases(draw: st.DrawFn, huge_one_in: int = HUGE_PART_ONE_IN) -> Case:
    """One case: a directive part (with attachments around it), garbage, or an event answer;
    one in ``huge_one_in`` (0: none) a part past the client's 16 MiB limit."""
    if huge_one_in and draw(st.integers(0, huge_one_in - 1)) == huge_one_in // 3:
        # over the 16 MiB part limit: the client must end the channel, and reopen it
        return Case("huge_part", part(b'{"x":"' + b"y" * (17 * 1024 * 1024) + b'"}'))
    shape = draw(st.sampled_from(["part"] * 16 + ["cid", "stray", "garbage", "event"]))
    kind, text = draw(directive_bytes())
    fault, text = draw(damage(text))
    headers = draw(st.sampled_from([JSON_HEADERS] * 4 + [b"", b"X-Odd: 1\r\n"]))
    data = part(text, headers)
    if shape == "garbage":
        data = part(draw(st.binary(min_size=1, max_size=400)), headers)
        kind, fault = "garbage", "none"
    elif shape == "cid":
        data = part(json.dumps(cid_play()).encode())
        where = draw(st.sampled_from(["before", "after", "never"]))
        extra = attachment("att-1", b"ID3" + draw(st.binary(max_size=64)))
        data = (extra + data) if where == "before" else (data + extra if where == "after" else data)
        kind, fault = f"cid_{where}", "none"
    elif shape == "stray":
        data += attachment(draw(st.text(min_size=1, max_size=8)), draw(st.binary(max_size=64)))
    end = False
    if draw(st.integers(0, FRAMING_FAULT_ONE_IN - 1)) == FRAMING_FAULT_ONE_IN // 3:
        fault, data, end = draw(break_framing(data))
        fault = f"framing_{fault}"
    name = f"{kind}_{fault}" if fault != "none" else kind
    if shape == "event":
        return Case(f"event_reply_{name}", b"--" + BOUNDARY.encode() + data, event_reply=True)
    return Case(name, data, end_stream=end)
