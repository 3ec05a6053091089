"""Field paths into an event (``context[0].payload.playerActivity``) and readable diffs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")
_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
OPERATORS = ("$exists", "$ne", "$in", "$regex", "$gt", "$gte", "$lt", "$lte")
KNOWN = "known: " + " ".join(OPERATORS)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
"""What a path resolves to when some step of it does not exist."""


def _select(value: Any, key: str, bracketed: bool) -> Any:
    if isinstance(value, list):
        if key.lstrip("-").isdigit():
            i = int(key)
            return value[i] if -len(value) <= i < len(value) else MISSING
        if bracketed:  # context[AudioPlayer.PlaybackState]: the item whose header names it
            for item in value:
                header = item.get("header", {}) if isinstance(item, dict) else {}
                if f"{header.get('namespace')}.{header.get('name')}" == key:
                    return item
        return MISSING
    if isinstance(value, dict):
        return value.get(key, MISSING)
    return MISSING


def parse_path(path: str) -> list[tuple[str, bool]]:
    """``a.b[0][X.Y]`` -> ``[("a", False), ("b", False), ("0", True), ("X.Y", True)]``;
    ValueError when the path is malformed."""
    steps: list[tuple[str, bool]] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        bracket, plain = match.groups()
        gap = path[pos : match.start()]
        allowed = ("", ".") if bracket is not None and pos else ("." if pos else "",)
        if gap not in allowed:
            raise ValueError(f"malformed field path {path!r}")
        steps.append((bracket, True) if bracket is not None else (plain, False))
        pos = match.end()
    if not steps or path[pos:]:
        raise ValueError(f"malformed field path {path!r}")
    return steps


def resolve(document: Any, path: str) -> Any:
    """The value at ``path`` (dots between keys, ``[i]`` list indexes), or MISSING."""
    value = document
    for key, bracketed in parse_path(path):
        value = _select(value, key, bracketed)
        if value is MISSING:
            return MISSING
    return value


def _operators(expected: Any) -> list[tuple[str, Any]] | None:
    """``{"$gte": 900, "$lte": 1100}`` -> its (operator, argument) pairs; None for a value."""
    if not isinstance(expected, Mapping) or not expected:
        return None
    if all(isinstance(key, str) and key.startswith("$") for key in expected):
        return list(expected.items())
    return None


def _compare(op: str, got: Any, arg: Any) -> bool:
    if op == "$exists":
        return (got is not MISSING) == bool(arg)
    if got is MISSING:
        return False
    if op == "$ne":
        return bool(got != arg)
    if op == "$in":
        return got in arg
    if op == "$regex":
        return isinstance(got, str) and re.search(str(arg), got) is not None
    numeric = isinstance(got, int | float) and not isinstance(got, bool)
    checks = {
        "$gt": lambda: got > arg,
        "$gte": lambda: got >= arg,
        "$lt": lambda: got < arg,
        "$lte": lambda: got <= arg,
    }
    if op not in checks:
        raise ValueError(f"unknown matcher {op!r} ({KNOWN})")
    return numeric and bool(checks[op]())


def matches(expected: Any, got: Any) -> bool:
    """Equality, or a matcher such as ``{"$gte": 1000}`` (several operators: all must hold)."""
    ops = _operators(expected)
    if ops is not None:
        return all(_compare(op, got, arg) for op, arg in ops)
    if got is MISSING:
        return False
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected  # true must not equal 1
    return bool(got == expected)


def _is_operator(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("$")


def _check_argument(op: str, arg: Any) -> None:
    if op not in OPERATORS:
        raise ValueError(f"unknown matcher {op!r} ({KNOWN})")
    if op == "$exists" and not isinstance(arg, bool):
        raise ValueError(f"$exists takes true or false, got {arg!r}")
    if op == "$in" and not isinstance(arg, list):
        raise ValueError(f"$in takes a list, got {arg!r}")
    if op == "$regex":
        if not isinstance(arg, str):
            raise ValueError(f"$regex takes a string, got {arg!r}")
        try:
            re.compile(_VARIABLE.sub("x", arg))
        except re.error as exc:
            raise ValueError(f"$regex {arg!r} is not a regular expression: {exc}") from None
    if op in ("$gt", "$gte", "$lt", "$lte") and (
        isinstance(arg, bool) or not isinstance(arg, int | float)
    ):
        raise ValueError(f"{op} takes a number, got {arg!r}")


def _no_operators_inside(value: Any) -> None:
    """A plain expected value compares exactly, so a ``$key`` in it is a mistake."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _is_operator(key):
                raise ValueError(
                    f"{key!r} inside an expected value: a matcher must be the whole value of a "
                    "field path (write the path down to that field)"
                )
            _no_operators_inside(item)
    elif isinstance(value, list):
        for item in value:
            _no_operators_inside(item)


def validate(path: str, expected: Any) -> None:
    """ValueError for a malformed path, an unknown matcher or a bad matcher argument."""
    parse_path(path)
    if isinstance(expected, Mapping) and any(_is_operator(key) for key in expected):
        plain = [key for key in expected if not _is_operator(key)]
        if plain:
            raise ValueError(f"a matcher mixes operators with plain key(s) {plain}")
        for op, arg in expected.items():
            _check_argument(op, arg)
        return
    _no_operators_inside(expected)


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: Any
    got: Any


def check(document: Any, expectations: Mapping[str, Any]) -> list[Mismatch]:
    """Every expectation ``{path: value}`` that ``document`` does not meet."""
    out = []
    for path, expected in expectations.items():
        got = resolve(document, path)
        if not matches(expected, got):
            out.append(Mismatch(path, expected, got))
    return out


def show(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def format_mismatches(mismatches: list[Mismatch]) -> str:
    """``  path\\n    expected: ..\\n    got:      ..`` for each differing field."""
    lines = []
    for m in mismatches:
        lines += [
            f"  {m.path}",
            f"    expected: {show(m.expected)}",
            f"    got:      {show(m.got)}",
        ]
    return "\n".join(lines)


def is_subsequence(wanted: list[str], names: list[str]) -> bool:
    it = iter(names)
    return all(any(n == w for n in it) for w in wanted)
