"""JSON text -> one checked JSON object: the limits every incoming message must respect.

Checked here, once, so nothing behind the parser meets a value it cannot carry on: size, nesting,
strict text encoding (raw bytes that are not UTF-8, such as ``ED A0 80``, are refused), lone
surrogates written as escapes (``"\\ud800"``: valid JSON, but not Unicode text, so no event,
log line or status answer could encode them), integers past Python's digit limit, and the
non-JSON constants and overflowing numbers (``NaN``, ``1e999``) the stdlib decoder lets through.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import FieldError, ProtocolError, never_raises_other, printable

JsonObject = dict[str, Any]

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
"""Largest JSON message accepted; a directive's JSON is a few KiB, audio travels as a part."""

MAX_DEPTH = 100
"""Deepest nesting of objects and lists accepted; real messages stay below 10."""
TOO_DEEP = f"nested too deeply (limit {MAX_DEPTH} levels)"

_SURROGATE = re.compile("[\ud800-\udfff]")
_Path = tuple[Any, str | int] | None  # (parent path, key): built only along the walk


@dataclass(frozen=True)
class _Refused:
    """Stands in for a value the decoder read but the message may not carry."""

    reason: str


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON value")


def _integer(digits: str) -> int | _Refused:
    try:
        return int(digits)
    except ValueError:
        return _Refused(f"integer of {len(digits.lstrip('-'))} digits is too long to read")


def _refuse(message: str, path: str = "") -> ProtocolError:
    return ProtocolError([FieldError(path, message)])


def _text(raw: bytes) -> str:
    """The bytes as text, strictly: invalid UTF-8 is an error, never U+FFFD or a surrogate."""
    encoding = json.detect_encoding(raw)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        bad = raw[exc.start : exc.end]
        what = f"byte{'s' if len(bad) > 1 else ''} {bad.hex(' ')}"
        raise _refuse(f"not {name} text: invalid {what} at offset {exc.start}") from None


def _decode(text: str) -> Any:
    try:
        try:
            return json.loads(text, parse_constant=_constant)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past the digit limit: read again to name its field
            return json.loads(text, parse_constant=_constant, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise _refuse(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise _refuse(TOO_DEEP) from None


def _render(path: _Path) -> str:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    text = "".join(f"[{k}]" if isinstance(k, int) else f".{printable(k)}" for k in reversed(keys))
    return text.lstrip(".")


def _problem(node: Any) -> str | None:
    """Why a leaf value cannot be carried on, or None."""
    if isinstance(node, str):
        found = _SURROGATE.search(node)
        return f"lone surrogate \\u{ord(found.group()):04x}: not Unicode text" if found else None
    if isinstance(node, float) and not math.isfinite(node):
        return f"number out of range ({node})"
    return node.reason if isinstance(node, _Refused) else None


def check_tree(data: Any) -> None:
    """Nesting within MAX_DEPTH, every key and leaf carriable; iterative (no recursion)."""
    stack: list[tuple[Any, int, _Path]] = [(data, 1, None)]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise _refuse(TOO_DEEP)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                problem = _problem(key) if isinstance(key, str) else None
                if problem:
                    raise _refuse(f"key {problem}", _render(path))
                stack.append((value, depth + 1, (path, key if isinstance(key, int) else str(key))))
        else:
            problem = _problem(node)
            if problem:
                raise _refuse(problem, _render(path))


@never_raises_other
def load_json(raw: bytes | str | JsonObject) -> JsonObject:
    """Decode one JSON object, with a clear ProtocolError for anything else."""
    if isinstance(raw, dict):
        data: Any = raw
    elif isinstance(raw, bytes | str):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise _refuse(f"message too large: {len(raw)} bytes (limit {MAX_MESSAGE_BYTES})")
        data = _decode(_text(raw) if isinstance(raw, bytes) else raw)
    else:
        raise _refuse(f"expected JSON text, got {type(raw).__name__}")
    if not isinstance(data, dict):
        raise _refuse(f"expected a JSON object, got {type(data).__name__}")
    check_tree(data)
    return data
