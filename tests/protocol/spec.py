"""Helpers for the spec-example fixtures (tests/fixtures/spec)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "spec"


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def doc(name: str) -> Any:
    return json.loads(raw(name))


def dig(obj: Any, path: str) -> Any:
    """``payload.playable_items[1].token``: attributes (model extras too), keys, list indexes."""
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if index:
            obj = obj[int(index)]
        elif isinstance(obj, dict):
            obj = obj[key]
        else:
            obj = getattr(obj, key)
    return obj
