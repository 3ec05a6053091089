"""Load-time checks of a scenario's content: Play ids carry ``${RUN}``, variables and matchers
exist. Each raises ValueError with the rest of one line; the caller prefixes where it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expect import validate
from .scenario_vars import NAMES, RUN_MARK, unknown_variables

FIXED_IDS = "fixed_ids"


def _is_play(directive: Any) -> bool:
    header = directive.get("directive", {}).get("header") if isinstance(directive, dict) else None
    return (
        isinstance(header, dict)
        and header.get("namespace") == "AudioPlayer"
        and header.get("name") == "Play"
    )


def _run_id(item_id: Any, field: str) -> None:
    if isinstance(item_id, str) and RUN_MARK in item_id:
        return
    example = f"'{item_id}-{RUN_MARK}'" if isinstance(item_id, str) else f"'item-1-{RUN_MARK}'"
    raise ValueError(
        f"{field} {item_id!r} does not contain {RUN_MARK}: a second run against the same "
        f"daemon would be dropped as a duplicate (write e.g. {example}, or set "
        f"'{FIXED_IDS}: true' at the top of the scenario)"
    )


def _audio_item_id(payload: Any) -> Any:
    item = payload.get("audioItem") if isinstance(payload, dict) else None
    return item.get("audioItemId") if isinstance(item, dict) else None


def play_ids(directives: list[Any]) -> None:
    """Every AudioPlayer.Play among ``directives`` has an audioItemId containing ``${RUN}``."""
    for i, directive in enumerate(directives):
        if _is_play(directive):
            which = f"directive #{i + 1} " if len(directives) > 1 else ""
            payload = directive["directive"].get("payload")
            _run_id(_audio_item_id(payload), f"{which}AudioPlayer.Play audioItem.audioItemId")


def playlist_ids(responders: Mapping[str, Any]) -> None:
    """The Play payloads of a responders ``playlist`` follow the same rule."""
    for i, payload in enumerate(responders.get("playlist") or []):
        _run_id(_audio_item_id(payload), f"playlist[{i}].audioItem.audioItemId")


def known_variables(value: Any) -> None:
    unknown = unknown_variables(value)
    if unknown:
        names = ", ".join("${" + n + "}" for n in unknown)
        known = " ".join("${" + n + "}" for n in NAMES)
        raise ValueError(f"unknown variable {names} (known: {known})")


def expectations(expect: Mapping[Any, Any]) -> None:
    """Every ``path: expected`` pair is well formed (paths parse, matchers exist)."""
    for path, expected in expect.items():
        if not isinstance(path, str):
            raise ValueError(f"expect: a field path must be a string, got {path!r}")
        try:
            validate(path, expected)
        except ValueError as exc:
            raise ValueError(f"expect {path}: {exc}") from None
