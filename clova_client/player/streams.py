"""Stream requests waiting for their StreamDeliver: one per audioItemId, each with a
deadline. Matching a delivery to the attempt that asked (not to the queue entry) keeps a replay,
a repeat or a Previous from reusing an old stream."""

from __future__ import annotations

from collections.abc import Callable

from clova_client.clock import Clock, Timer

from .attempt import Attempt


class StreamRequests:
    def __init__(
        self,
        clock: Clock,
        timeout_s: float,
        need: Callable[[Attempt], None],
        on_expired: Callable[[Attempt], None],
    ) -> None:
        self._clock = clock
        self._timeout_s = timeout_s
        self._need = need
        self._on_expired = on_expired
        self._waiting: dict[str, tuple[Attempt, Timer]] = {}

    def ask(self, attempt: Attempt) -> None:
        """Ask for ``attempt``'s stream unless it is already waiting for it."""
        if self.waiting(attempt):
            return  # asked ahead of time; its deadline still runs
        waiting = self._waiting.get(attempt.key)
        if waiting is not None:
            self.cancel(waiting[0])
        timer = self._clock.call_later(self._timeout_s, lambda: self._on_expired(attempt))
        self._waiting[attempt.key] = (attempt, timer)
        self._need(attempt)

    def waiting(self, attempt: Attempt) -> bool:
        waiting = self._waiting.get(attempt.key)
        return waiting is not None and waiting[0] is attempt

    def take(self, audio_item_id: str) -> Attempt | None:
        """The attempt a StreamDeliver for ``audio_item_id`` answers (no longer waiting)."""
        waiting = self._waiting.get(audio_item_id)
        if waiting is None:
            return None
        self.cancel(waiting[0])
        return waiting[0]

    def cancel(self, attempt: Attempt) -> None:
        if self.waiting(attempt):
            _, timer = self._waiting.pop(attempt.key)
            timer.cancel()

    def cancel_all(self) -> None:
        for attempt, _ in list(self._waiting.values()):
            self.cancel(attempt)
