"""Scenarios: a YAML/JSON list of steps run against a mock through its control API.

The file is read by ``scenario_file`` (every mistake is an error before step 1); this module
runs it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .control_client import ControlClient, WaitFailed
from .expect import check, format_mismatches, is_subsequence, show
from .scenario_file import Scenario, ScenarioError, Step, load_scenario, parse_scenario
from .scenario_vars import new_run_id, substitute, variables

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioRunner",
    "Step",
    "StepFailed",
    "load_scenario",
    "parse_scenario",
    "substitute",
    "variables",
]


class StepFailed(Exception):
    """An expectation did not hold (exit code 1); the message is the readable diff."""


def with_message_id(directive: dict[str, Any]) -> dict[str, Any]:
    """Fill a missing ``directive.header.messageId`` (scenario convenience)."""
    header = directive.get("directive", {}).get("header")
    if isinstance(header, dict) and "messageId" not in header:
        header["messageId"] = str(uuid.uuid4())
    return directive


@dataclass
class ScenarioRunner:
    """Runs one scenario against a mock; ``run`` returns None or raises StepFailed.

    ``run_id`` is the value of ``${RUN}`` (a new random one by default). Events are counted from
    where the device's event list stood when the run began (``_baseline``), so a run never sees
    an earlier run's events."""

    scenario: Scenario
    client: ControlClient
    out: Callable[[str], None] = print
    run_id: str = field(default_factory=new_run_id)
    device: str = ""
    _baseline: int = 0
    _opens_at_start: int = 0
    _cursor: dict[str, int] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)

    async def run(self) -> None:
        scenario = self.scenario
        document = await self.client.devices()
        self.variables = variables(document.get("server"), self.client.base_url, self.run_id)
        self.device = scenario.device or self._only_device(document)
        self.out(
            f"scenario {scenario.name!r} on device {self.device!r} at {self.client.base_url}, "
            f"run {self.run_id}"
        )
        if scenario.responders:
            await self.client.responders(self._vars(scenario.responders))
        if scenario.voice is not None:
            await self.client.voice(self._vars(scenario.voice))
        if scenario.connect_timeout is not None:
            self.out(f"waiting up to {scenario.connect_timeout:g} s for the device to connect")
            await self._guard(
                self.client.wait_downchannel(
                    self.device, opened_count=1, within=scenario.connect_timeout
                )
            )
        record = (await self.client.devices())["devices"].get(self.device, {})
        self._opens_at_start = int(record.get("downchannel_opens", 0))
        self._baseline = int(record.get("events", 0))
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
        elif step.action == "remote":
            await client.remote(self.device, self._vars(step.arg))
        elif step.action == "voice":
            await client.voice(self._vars(step.arg))
        elif step.action == "sleep":
            await asyncio.sleep(step.arg)
        elif step.action == "wait_downchannel":
            count = max(1, self._opens_at_start + int(step.arg.get("reopened", 0)))
            timeout = float(step.arg.get("timeout", opts.get("timeout", self.scenario.timeout)))
            await self._guard(
                client.wait_downchannel(self.device, opened_count=count, within=timeout)
            )

    async def _since_start(self) -> list[str]:
        """Names of the events received since the run began."""
        return [e["name"] for e in await self.client.events(self.device, since=self._baseline)]

    async def _wait_for(self, step: Step) -> None:
        name: str = step.arg
        index = int(step.options.get("index", self._cursor.get(name, 0)))
        timeout = float(step.options.get("timeout", self.scenario.timeout))
        try:
            event = await self.client.wait_event(
                self.device, name, index=index, within=timeout, since=self._baseline
            )
        except WaitFailed:
            seen = ", ".join(await self._since_start()) or "none"
            raise StepFailed(
                f"  no {name} #{index} from device {self.device!r} within {timeout:g} s; "
                f"events received since the scenario started: {seen}"
            ) from None
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
        names = await self._since_start()
        if not is_subsequence(wanted, names):
            relevant = [n for n in names if n in wanted]
            raise StepFailed(
                f"  expected order: {show(wanted)}\n"
                f"  got:            {show(relevant)}\n"
                f"  all events since the scenario started: {show(names)}"
            )
