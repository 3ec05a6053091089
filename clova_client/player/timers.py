"""The current attempt's timers: OPEN (no sound yet), STALL (position frozen) and PROGRESS (the
next media-time crossing). Each expiry runs as one job of the engine's ``SerialRunner``."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from clova_client.clock import Clock, Timer

from .serial import Job


class TimerName(StrEnum):
    OPEN = "open"
    STALL = "stall"
    PROGRESS = "progress"


class AttemptTimers:
    def __init__(self, clock: Clock, post: Callable[[Job], None]) -> None:
        self._clock = clock
        self._post = post
        self._armed: dict[TimerName, Timer] = {}

    def now(self) -> float:
        return self._clock.now()

    def arm(self, name: TimerName, delay: float, job: Job) -> None:
        """Post ``job`` after ``delay`` seconds, replacing the timer of that name."""
        self.cancel(name)
        self._armed[name] = self._clock.call_later(delay, lambda: self._post(job))

    def cancel(self, *names: TimerName) -> None:
        """Cancel the named timers (every timer when none is named)."""
        for name in names or tuple(self._armed):
            timer = self._armed.pop(name, None)
            if timer is not None:
                timer.cancel()
