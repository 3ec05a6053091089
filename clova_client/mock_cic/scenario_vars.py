"""Scenario variables: ``${MEDIA_URL}`` and friends from the mock, ``${RUN}`` new for every run."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

RUN = "RUN"
RUN_MARK = "${RUN}"
NAMES = ("RUN", "MEDIA_URL", "CONTROL_URL", "BASE_URL", "AUTH_URL", "CIC_URL", "CA_FILE")
"""Every variable a scenario may use; any other ``${NAME}`` is an error when the file loads."""
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def new_run_id() -> str:
    """A short random hex string: the value of ``${RUN}`` for one run."""
    return secrets.token_hex(4)


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Replace ``${NAME}`` in every string of a JSON-like value, mapping keys included
    (``stream_deliver`` tables are keyed by audioItemId)."""
    if isinstance(value, str):
        for key, text in variables.items():
            value = value.replace("${" + key + "}", text)
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


def unknown_variables(value: Any) -> list[str]:
    """The ``${NAME}`` references in ``value`` that are not scenario variables."""
    found = {m for text in _strings(value) for m in _REFERENCE.findall(text)}
    return sorted(found - set(NAMES))


def variables(server: Any, control_url: str, run: str) -> dict[str, str]:
    """``${NAME}`` values: ``run`` and the ``server`` part of ``GET /_mock/devices``."""
    info = server if isinstance(server, dict) else {}
    control = str(info.get("control_url") or control_url)
    return {
        RUN: run,
        "CONTROL_URL": control,
        "BASE_URL": control,
        "MEDIA_URL": str(info.get("media_url") or control + "/media"),
        "AUTH_URL": str(info.get("auth_url") or control + "/token"),
        "CIC_URL": str(info.get("cic_url") or ""),
        "CA_FILE": str(info.get("ca_file") or ""),
    }
