"""Fault injection state: failing answers, stalled events, ignored pings, ended downchannels,
a delayed Clova.Hello.

The table of fault types (what the Python API, the control API and scenarios can inject) is in
``fault_table``; this module only holds what the request handlers consult."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

PROTECTED_PREFIXES = ("/_mock/", "/media/")
"""Paths a fault without ``path_prefix`` never touches: the control API and media files."""


@dataclass
class FailRule:
    """Answer the next ``remaining`` matching requests with ``status``."""

    status: int
    remaining: int
    path_prefix: str | None = None
    retry_after: float | None = None

    def matches(self, path: str) -> bool:
        if self.path_prefix is not None:
            return path.startswith(self.path_prefix)
        return not path.startswith(PROTECTED_PREFIXES)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "remaining": self.remaining,
            "path_prefix": self.path_prefix,
            "retry_after": self.retry_after,
        }


@dataclass
class Faults:
    """What the mock does wrong on purpose; the server consults it on every request."""

    fail_rules: list[FailRule] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)
    pings_ignored: bool = False
    refusing_until: float | None = None
    end_after_answer: set[str] = field(default_factory=set)
    """Devices whose downchannel ends right after the answer to their next event."""
    hello_delays: dict[str, float] = field(default_factory=dict)
    """Device -> seconds its next downchannel holds Clova.Hello back."""
    _pings_answered: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._pings_answered.set()

    def take_failure(self, path: str) -> FailRule | None:
        """The rule that fails this request (its count used up by one), or None."""
        for rule in self.fail_rules:
            if rule.remaining > 0 and rule.matches(path):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.fail_rules.remove(rule)
                return rule
        return None

    def take_stall(self) -> float | None:
        return self.stalls.pop(0) if self.stalls else None

    def take_end_after_answer(self, device: str) -> bool:
        if device in self.end_after_answer:
            self.end_after_answer.discard(device)
            return True
        return False

    def take_hello_delay(self, device: str) -> float:
        return self.hello_delays.pop(device, 0.0)

    def ignore_pings(self, on: bool) -> None:
        self.pings_ignored = on
        if on:
            self._pings_answered.clear()
        else:
            self._pings_answered.set()

    async def wait_pings_answered(self) -> None:
        await self._pings_answered.wait()

    def clear(self) -> None:
        self.fail_rules.clear()
        self.stalls.clear()
        self.end_after_answer.clear()
        self.hello_delays.clear()
        self.ignore_pings(False)

    def to_json(self) -> dict[str, Any]:
        return {
            "fail_next": [r.to_json() for r in self.fail_rules],
            "stalled_events": list(self.stalls),
            "pings_ignored": self.pings_ignored,
            "refusing_until": self.refusing_until,
            "answer_then_end_downchannel": sorted(self.end_after_answer),
            "delay_hello": dict(sorted(self.hello_delays.items())),
        }
