"""Reading a scenario file: every mistake is a ScenarioError (one line, exit 2) before step 1."""

from __future__ import annotations

import base64
import binascii
import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import scenario_checks as checks
from .fault_table import FaultError, check_names
from .remote import parse_remote
from .responders import Responders
from .voice_script import parse_voice_body

ACTIONS = (
    "push",
    "reply",
    "wait_for",
    "expect_order",
    "fault",
    "sleep",
    "wait_downchannel",
    "responders",
    "remote",
    "voice",
)
STEP_OPTIONS: dict[str, set[str]] = {
    "push": {"attachments", "raw"},
    "reply": {"attachments", "raw", "on"},
    "wait_for": {"timeout", "index", "expect"},
    "expect_order": set(),
    "fault": set(),
    "sleep": set(),
    "wait_downchannel": {"timeout"},
    "responders": set(),
    "remote": set(),
    "voice": set(),
}
TOP_LEVEL = {
    "name",
    "device",
    "timeout",
    "connect_timeout",
    "responders",
    "voice",
    "steps",
    checks.FIXED_IDS,
}


class ScenarioError(Exception):
    """The scenario file itself is wrong (exit code 2)."""


@dataclass
class Step:
    number: int
    action: str
    arg: Any
    options: dict[str, Any]
    label: str | None = None

    def title(self) -> str:
        detail = self.arg if isinstance(self.arg, str | int | float) else ""
        head = f"step {self.number}: {self.action}"
        head += f" {detail}" if detail != "" else ""
        return f"{head} ({self.label})" if self.label else head


@dataclass
class Scenario:
    name: str
    device: str | None
    steps: list[Step]
    timeout: float = 10.0
    connect_timeout: float | None = 30.0
    responders: dict[str, Any] | None = None
    fixed_ids: bool = False
    voice: dict[str, Any] | None = None
    """Recognize's scripted answers, set before step 1 (a ``POST /_mock/voice`` body)."""


def _checked(where: str, check: Callable[[Any], None], value: Any) -> None:
    try:
        check(value)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _unknown(keys: Iterable[Any], allowed: Iterable[str], what: str = "") -> str:
    """``unknown key(s) ['x']{what} (did you mean 'y'?)``."""
    names = sorted(str(k) for k in keys)
    close = difflib.get_close_matches(names[0], sorted(allowed), n=1) if len(names) == 1 else []
    return f"unknown key(s) {names}{what}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _number(value: Any, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ScenarioError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError(f"{where}: expected a whole number >= 0, got {value!r}")
    return value


def _responders(value: Any, where: str, fixed_ids: bool) -> dict[str, Any]:
    """Check responder tables as the mock would, so a bad table fails before anything runs."""
    try:
        Responders().update(value)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    _checked(where, checks.known_variables, value)
    if not fixed_ids:
        _checked(where, checks.playlist_ids, value)
    return dict(value)


def _voice(value: Any, where: str) -> dict[str, Any]:
    """Recognize's scripted answers, checked as ``POST /_mock/voice`` checks them."""
    try:
        parse_voice_body(value)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    _checked(where, checks.known_variables, value)
    return dict(value)


def _fault(value: dict[str, Any], where: str) -> dict[str, Any]:
    """Check a fault step against the fault table, so a typo fails before anything runs."""
    params = {k: v for k, v in value.items() if k != "type"}
    try:
        check_names(str(value.get("type")), params)
    except FaultError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return value


def _directives(value: Any, where: str, fixed_ids: bool) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(d, dict) for d in items):
        raise ScenarioError(f"{where}: expected a directive object or a list of them")
    _checked(where, checks.known_variables, items)
    if not fixed_ids:
        _checked(where, checks.play_ids, items)
    return items


def _attachments(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a mapping {{content_id: base64 data}}")
    for cid, data in value.items():
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ScenarioError(f"{where}.{cid}: not base64 data") from None


def _action(raw: dict[str, Any], where: str) -> str:
    actions = [k for k in raw if k in ACTIONS]
    if len(actions) == 1:
        return actions[0]
    message = f"{where}: needs exactly one of {', '.join(ACTIONS)}; got {list(raw)}"
    known = {"name", *ACTIONS, *(o for opts in STEP_OPTIONS.values() for o in opts)}
    unknown = [k for k in raw if k not in known]
    if unknown:
        message += f"; {_unknown(unknown, ACTIONS)}"
    raise ScenarioError(message)


def _options(action: str, options: dict[str, Any], where: str, fixed_ids: bool) -> None:
    unknown = set(options) - STEP_OPTIONS[action]
    if unknown:
        allowed = sorted(STEP_OPTIONS[action] | {"name"})
        text = _unknown(unknown, allowed, f" for {action}")
        raise ScenarioError(f"{where}: {text}; allowed: {', '.join(allowed)}")
    if "timeout" in options:
        _number(options["timeout"], f"{where} timeout")
    if "index" in options:
        _count(options["index"], f"{where} index")
    if "raw" in options and not isinstance(options["raw"], bool):
        raise ScenarioError(f"{where} raw: expected true or false, got {options['raw']!r}")
    if "on" in options and not isinstance(options["on"], str):
        raise ScenarioError(f"{where} on: expected an event name like AudioPlayer.PlayStarted")
    if "attachments" in options:
        _attachments(options["attachments"], f"{where} attachments")
    if "expect" in options:
        expect = options["expect"]
        if not isinstance(expect, dict):
            raise ScenarioError(f"{where}: expect takes a mapping of field path -> value")
        _checked(where, checks.expectations, expect)
        _checked(f"{where} expect", checks.known_variables, expect)


def _wait_downchannel(arg: Any, where: str) -> dict[str, Any]:
    arg = {"reopened": arg} if isinstance(arg, int) and not isinstance(arg, bool) else arg
    if not isinstance(arg, dict):
        raise ScenarioError(
            f"{where}: wait_downchannel takes a count or {{reopened: N, timeout: S}}"
        )
    unknown = set(arg) - {"reopened", "timeout"}
    if unknown:
        raise ScenarioError(
            f"{where} wait_downchannel: {_unknown(unknown, ['reopened', 'timeout'])}"
        )
    if "reopened" in arg:
        _count(arg["reopened"], f"{where} wait_downchannel.reopened")
    if "timeout" in arg:
        _number(arg["timeout"], f"{where} wait_downchannel.timeout")
    return arg


def _remote(value: Any, where: str) -> dict[str, Any]:
    """A remote step: a command name or ``{command, target?, token?, handover?, repeatMode?}``,
    checked as the mock will check it."""
    body = {"command": value} if isinstance(value, str) else value
    try:
        parse_remote(body)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    if "device" in body:
        raise ScenarioError(f"{where}: the device is the scenario's, not the step's")
    _checked(where, checks.known_variables, body)
    return dict(body)


def _step(number: int, raw: Any, fixed_ids: bool) -> Step:
    where = f"step {number}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {raw!r}")
    label = None if raw.get("name") is None else str(raw["name"])
    where += f" ({label})" if label else ""
    action = _action(raw, where)
    options = {k: v for k, v in raw.items() if k not in (action, "name")}
    _options(action, options, where, fixed_ids)
    arg = raw[action]
    if action in ("push", "reply"):
        arg = _directives(arg, f"{where} {action}", fixed_ids)
    elif action == "wait_for" and not isinstance(arg, str):
        raise ScenarioError(f"{where}: wait_for takes an event name like AudioPlayer.PlayStarted")
    elif action == "expect_order" and not (
        isinstance(arg, list) and arg and all(isinstance(n, str) for n in arg)
    ):
        raise ScenarioError(f"{where}: expect_order takes a list of event names")
    elif action in ("fault", "responders") and not isinstance(arg, dict):
        raise ScenarioError(f"{where}: {action} takes a mapping")
    elif action == "responders":
        arg = _responders(arg, f"{where} responders", fixed_ids)
    elif action == "fault":
        arg = _fault(arg, f"{where} fault")
    elif action == "sleep":
        arg = _number(arg, f"{where} sleep")
    elif action == "wait_downchannel":
        arg = _wait_downchannel(arg, where)
    elif action == "remote":
        arg = _remote(arg, f"{where} remote")
    elif action == "voice":
        arg = _voice(arg, f"{where} voice")
    return Step(number, action, arg, options, label)


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping with 'steps'")
    unknown = set(data) - TOP_LEVEL
    if unknown:
        text = _unknown(unknown, TOP_LEVEL).replace("unknown key(s)", "unknown top-level key(s)")
        raise ScenarioError(f"{source}: {text}")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{source}: 'steps' must be a non-empty list")
    fixed_ids = data.get(checks.FIXED_IDS, False)
    if not isinstance(fixed_ids, bool):
        raise ScenarioError(f"{source}: '{checks.FIXED_IDS}' must be true or false")
    connect = data.get("connect_timeout", 30.0)
    device = data.get("device")
    if device is not None and not isinstance(device, str):
        raise ScenarioError(f"{source}: 'device' must be a device id string, got {device!r}")
    responders = data.get("responders")
    voice = data.get("voice")
    return Scenario(
        name=str(data.get("name", source)),
        device=device,
        steps=[_step(i, raw, fixed_ids) for i, raw in enumerate(steps, 1)],
        timeout=_number(data.get("timeout", 10.0), "timeout"),
        connect_timeout=None if connect is None else _number(connect, "connect_timeout"),
        responders=None if responders is None else _responders(responders, "responders", fixed_ids),
        fixed_ids=fixed_ids,
        voice=None if voice is None else _voice(voice, "voice"),
    )


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (YAML, which also reads JSON)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from None
    return parse_scenario(data, source=path.name)
