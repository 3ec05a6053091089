"""Jittered exponential reconnect delays. Pure: the random source and the time are injected."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay n (from 0) = min(cap_s, first_s / jitter_high * factor**n * U(jitter_low, high)).

    So the first retry never exceeds ``first_s`` (250 ms), each nominal delay doubles, every delay
    is randomised x0.67-1.5 around its nominal value, and none exceeds ``cap_s`` (64 s).
    """

    first_s: float = 0.25
    cap_s: float = 64.0
    factor: float = 2.0
    jitter_low: float = 0.67
    jitter_high: float = 1.5

    def __post_init__(self) -> None:
        if not 0 < self.first_s <= self.cap_s:
            raise ValueError("backoff: need 0 < first_s <= cap_s")
        if self.factor < 1 or not 0 < self.jitter_low <= self.jitter_high:
            raise ValueError("backoff: need factor >= 1 and 0 < jitter_low <= jitter_high")

    def nominal(self, attempt: int) -> float:
        """The centre of the jitter range for retry number ``attempt`` (0-based)."""
        # The exponent is bounded so thousands of failures cannot overflow a float.
        return self.first_s / self.jitter_high * self.factor ** min(attempt, 64)

    def delay(self, attempt: int, rng: random.Random) -> float:
        jitter = rng.uniform(self.jitter_low, self.jitter_high)
        return min(self.cap_s, self.nominal(attempt) * jitter)


class Backoff:
    """Counts consecutive failures; resets after a connection that stayed up long enough."""

    def __init__(self, policy: BackoffPolicy, rng: random.Random, stable_after_s: float) -> None:
        self.policy = policy
        self._rng = rng
        self._stable_after_s = stable_after_s
        self._connected_at: float | None = None
        self.attempt = 0

    def next_delay(self, minimum: float = 0.0) -> float:
        """The delay before the next try; ``minimum`` (e.g. a Retry-After) raises it."""
        delay = self.policy.delay(self.attempt, self._rng)
        self.attempt += 1
        return min(max(delay, minimum), self.policy.cap_s)

    def reset(self) -> None:
        self.attempt = 0

    def connected(self, now: float) -> None:
        self._connected_at = now

    def uptime(self, now: float) -> float:
        """Seconds the current connection has been up (0 when not connected)."""
        return 0.0 if self._connected_at is None else max(0.0, now - self._connected_at)

    def lost(self, now: float) -> bool:
        """Note a lost connection; True (and the count reset) if it had been up long enough."""
        up_since, self._connected_at = self._connected_at, None
        if up_since is not None and now - up_since >= self._stable_after_s:
            self.reset()
            return True
        return False
