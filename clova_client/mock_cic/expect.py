"""Field paths into an event (``context[0].payload.playerActivity``) and readable diffs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


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


def resolve(document: Any, path: str) -> Any:
    """The value at ``path`` (dots between keys, ``[i]`` list indexes), or MISSING."""
    value = document
    pos = 0
    for match in _TOKEN.finditer(path):
        if path[pos : match.start()].strip("."):
            raise ValueError(f"malformed field path {path!r}")
        pos = match.end()
        bracket, plain = match.groups()
        value = _select(value, bracket if bracket is not None else plain, bracket is not None)
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
        raise ValueError(f"unknown matcher {op!r} (use $exists $ne $in $regex $gt $gte $lt $lte)")
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
