"""Scenarios: a YAML/JSON list of steps run against a mock through its control API."""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .control_client import ControlClient, WaitFailed
from .expect import check, format_mismatches, is_subsequence, show
from .fault_table import FaultError, check_names
from .responders import Responders

ACTIONS = (
    "push",
    "reply",
    "wait_for",
    "expect_order",
    "fault",
    "sleep",
    "wait_downchannel",
    "responders",
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
}
TOP_LEVEL = {"name", "device", "timeout", "connect_timeout", "responders", "steps"}


class ScenarioError(Exception):
    """The scenario file itself is wrong (exit code 2)."""


class StepFailed(Exception):
    """An expectation did not hold (exit code 1); the message is the readable diff."""


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


def _responders(value: Any, where: str) -> dict[str, Any]:
    """Check responder tables as the mock would, so a bad table fails before anything runs."""
    try:
        Responders().update(value)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return dict(value)


def _fault(value: dict[str, Any], where: str) -> dict[str, Any]:
    """Check a fault step against the fault table, so a typo fails before anything runs."""
    params = {k: v for k, v in value.items() if k != "type"}
    try:
        check_names(str(value.get("type")), params)
    except FaultError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return value


def _directives(value: Any, where: str) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(d, dict) for d in items):
        raise ScenarioError(f"{where}: expected a directive object or a list of them")
    return items


def _step(number: int, raw: Any) -> Step:
    where = f"step {number}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {raw!r}")
    actions = [k for k in raw if k in ACTIONS]
    if len(actions) != 1:
        raise ScenarioError(f"{where}: needs exactly one of {', '.join(ACTIONS)}; got {list(raw)}")
    action = actions[0]
    options = {k: v for k, v in raw.items() if k not in (action, "name")}
    unknown = set(options) - STEP_OPTIONS[action]
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)} for {action}")
    arg = raw[action]
    if action in ("push", "reply"):
        arg = _directives(arg, f"{where} {action}")
    elif action == "wait_for" and not isinstance(arg, str):
        raise ScenarioError(f"{where}: wait_for takes an event name like AudioPlayer.PlayStarted")
    elif action == "expect_order" and not (
        isinstance(arg, list) and arg and all(isinstance(n, str) for n in arg)
    ):
        raise ScenarioError(f"{where}: expect_order takes a list of event names")
    elif action in ("fault", "responders") and not isinstance(arg, dict):
        raise ScenarioError(f"{where}: {action} takes a mapping")
    elif action == "responders":
        arg = _responders(arg, f"{where} responders")
    elif action == "fault":
        arg = _fault(arg, f"{where} fault")
    elif action == "sleep":
        arg = _number(arg, f"{where} sleep")
    elif action == "wait_downchannel":
        arg = {"reopened": arg} if isinstance(arg, int) and not isinstance(arg, bool) else arg
        if not isinstance(arg, dict) or set(arg) - {"reopened", "timeout"}:
            raise ScenarioError(
                f"{where}: wait_downchannel takes a count or {{reopened: N, timeout: S}}"
            )
        if "reopened" in arg:
            _count(arg["reopened"], f"{where} wait_downchannel.reopened")
        if "timeout" in arg:
            _number(arg["timeout"], f"{where} wait_downchannel.timeout")
    if "timeout" in options:
        _number(options["timeout"], f"{where} timeout")
    if "index" in options:
        _count(options["index"], f"{where} index")
    if "expect" in options and not isinstance(options["expect"], dict):
        raise ScenarioError(f"{where}: expect takes a mapping of field path -> value")
    label = raw.get("name")
    return Step(number, action, arg, options, str(label) if label is not None else None)


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping with 'steps'")
    unknown = set(data) - TOP_LEVEL
    if unknown:
        raise ScenarioError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{source}: 'steps' must be a non-empty list")
    connect = data.get("connect_timeout", 30.0)
    device = data.get("device")
    if device is not None and not isinstance(device, str):
        raise ScenarioError(f"{source}: 'device' must be a device id string, got {device!r}")
    responders = data.get("responders")
    return Scenario(
        name=str(data.get("name", source)),
        device=device,
        steps=[_step(i, raw) for i, raw in enumerate(steps, 1)],
        timeout=_number(data.get("timeout", 10.0), "timeout"),
        connect_timeout=None if connect is None else _number(connect, "connect_timeout"),
        responders=None if responders is None else _responders(responders, "responders"),
    )


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (YAML, which also reads JSON)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from None
    return parse_scenario(data, source=path.name)


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Replace ``${NAME}`` in every string of a JSON-like value."""
    if isinstance(value, str):
        for key, text in variables.items():
            value = value.replace("${" + key + "}", text)
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def variables(server: Any, control_url: str) -> dict[str, str]:
    """``${NAME}`` values from the ``server`` part of ``GET /_mock/devices``."""
    info = server if isinstance(server, dict) else {}
    control = str(info.get("control_url") or control_url)
    return {
        "CONTROL_URL": control,
        "BASE_URL": control,
        "MEDIA_URL": str(info.get("media_url") or control + "/media"),
        "AUTH_URL": str(info.get("auth_url") or control + "/token"),
        "CIC_URL": str(info.get("cic_url") or ""),
        "CA_FILE": str(info.get("ca_file") or ""),
    }


def with_message_id(directive: dict[str, Any]) -> dict[str, Any]:
    """Fill a missing ``directive.header.messageId`` (scenario convenience)."""
    header = directive.get("directive", {}).get("header")
    if isinstance(header, dict) and "messageId" not in header:
        header["messageId"] = str(uuid.uuid4())
    return directive


@dataclass
class ScenarioRunner:
    """Runs one scenario against a mock; ``run`` returns None or raises StepFailed."""

    scenario: Scenario
    client: ControlClient
    out: Callable[[str], None] = print
    device: str = ""
    _baseline: int = 0
    _opens_at_start: int = 0
    _start: dict[str, int] = field(default_factory=dict)
    _cursor: dict[str, int] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)

    async def run(self) -> None:
        scenario = self.scenario
        document = await self.client.devices()
        self.variables = variables(document.get("server"), self.client.base_url)
        self.device = scenario.device or self._only_device(document)
        self.out(f"scenario {scenario.name!r} on device {self.device!r} at {self.client.base_url}")
        if scenario.responders:
            await self.client.responders(self._vars(scenario.responders))
        if scenario.connect_timeout is not None:
            self.out(f"waiting up to {scenario.connect_timeout:g} s for the device to connect")
            await self._guard(
                self.client.wait_downchannel(
                    self.device, opened_count=1, within=scenario.connect_timeout
                )
            )
        devices = (await self.client.devices())["devices"]
        self._opens_at_start = int(devices.get(self.device, {}).get("downchannel_opens", 0))
        events = await self.client.events(self.device)
        self._baseline = len(events)
        for event in events:
            self._start[event["name"]] = self._start.get(event["name"], 0) + 1
        self._cursor = dict(self._start)
        for step in scenario.steps:
            started = time.monotonic()
            try:
                await self._run_step(step)
            except StepFailed as exc:
                self.out(f"FAIL {step.title()}\n{exc}")
                raise
            self.out(f"ok   {step.title()} ({time.monotonic() - started:.2f} s)")
        self.out(f"PASS scenario {scenario.name!r}: {len(scenario.steps)} steps")

    def _only_device(self, document: dict[str, Any]) -> str:
        devices = [str(d) for d in document.get("known_devices", [])]
        if len(devices) == 1:
            return devices[0]
        raise ScenarioError("the scenario needs 'device' (the mock knows several or none yet)")

    def _vars(self, value: Any) -> Any:
        return substitute(value, self.variables)

    async def _guard(self, waiting: Any) -> Any:
        try:
            return await waiting
        except WaitFailed as exc:
            raise StepFailed(f"  {exc}") from None

    async def _run_step(self, step: Step) -> None:
        client, opts = self.client, step.options
        if step.action in ("push", "reply"):
            directives = self._vars(step.arg)
            if not opts.get("raw"):
                directives = [with_message_id(d) for d in directives]
            if step.action == "push":
                await client.push(self.device, directives, opts.get("attachments"))
            else:
                await client.reply(self.device, directives, opts.get("on"), opts.get("attachments"))
        elif step.action == "wait_for":
            await self._wait_for(step)
        elif step.action == "expect_order":
            await self._expect_order(step.arg)
        elif step.action == "fault":
            await client.fault({"device": self.device, **step.arg})
        elif step.action == "responders":
            await client.responders(self._vars(step.arg))
        elif step.action == "sleep":
            await asyncio.sleep(step.arg)
        elif step.action == "wait_downchannel":
            count = max(1, self._opens_at_start + int(step.arg.get("reopened", 0)))
            timeout = float(step.arg.get("timeout", opts.get("timeout", self.scenario.timeout)))
            await self._guard(
                client.wait_downchannel(self.device, opened_count=count, within=timeout)
            )

    async def _wait_for(self, step: Step) -> None:
        name: str = step.arg
        index = self._cursor.get(name, 0)
        if "index" in step.options:
            index = self._start.get(name, 0) + int(step.options["index"])
        timeout = float(step.options.get("timeout", self.scenario.timeout))
        event = await self._guard(
            self.client.wait_event(self.device, name, index=index, within=timeout)
        )
        self._cursor[name] = index + 1
        expectations = step.options.get("expect") or {}
        try:
            mismatches = check(event["message"], self._vars(expectations))
        except ValueError as exc:
            raise ScenarioError(f"step {step.number}: {exc}") from None
        if mismatches:
            message = json.dumps(event["message"], indent=2, ensure_ascii=False)
            raise StepFailed(
                f"  {name} (messageId {event['message_id']}): "
                f"{len(mismatches)} field(s) differ\n"
                f"{format_mismatches(mismatches)}\n  the event was:\n"
                + "\n".join("    " + line for line in message.splitlines())
            )

    async def _expect_order(self, wanted: list[str]) -> None:
        events = await self.client.events(self.device)
        names = [e["name"] for e in events[self._baseline :]]
        if not is_subsequence(wanted, names):
            relevant = [n for n in names if n in wanted]
            raise StepFailed(
                f"  expected order: {show(wanted)}\n"
                f"  got:            {show(relevant)}\n"
                f"  all events since the scenario started: {show(names)}"
            )
