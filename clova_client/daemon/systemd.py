"""sd_notify(3) over ``sdnotify``: READY, STATUS, STOPPING and a health-gated watchdog.

Everything is a no-op when ``NOTIFY_SOCKET`` is unset (not started by systemd).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import sdnotify
import structlog

from ..clock import Clock

log = structlog.get_logger(__name__)


class Notifier:
    """Sends state changes to systemd; never raises and never blocks the event loop."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if environ is None else environ
        self._sd: sdnotify.SystemdNotifier | None = None
        if self._env.get("NOTIFY_SOCKET"):
            self._sd = sdnotify.SystemdNotifier()
            if self._sd.socket is not None:
                self._sd.socket.setblocking(False)  # a full queue drops a message, not the loop

    @property
    def enabled(self) -> bool:
        return self._sd is not None and self._sd.socket is not None

    def _send(self, *assignments: str) -> None:
        if self._sd is not None:
            # sdnotify encodes as latin-1; pass UTF-8 bytes through it unchanged.
            text = "\n".join(assignments)
            self._sd.notify(text.encode("utf-8").decode("latin-1"))

    def ready(self, status: str | None = None) -> None:
        """``READY=1`` (with a STATUS line when given): start-up is complete."""
        self._send("READY=1", *([_status(status)] if status is not None else []))

    def status(self, text: str) -> None:
        """``STATUS=text``: the one line ``systemctl status`` shows."""
        self._send(_status(text))

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def watchdog_interval(self) -> float | None:
        """Seconds between pings (half of ``WatchdogSec=``), or None when no watchdog is armed."""
        try:
            usec = int(self._env.get("WATCHDOG_USEC", ""))
        except ValueError:
            return None
        pid = self._env.get("WATCHDOG_PID")
        if usec <= 0 or (pid and pid != str(os.getpid())):
            return None
        return usec / 2_000_000


def _status(text: str) -> str:
    return "STATUS=" + " ".join(text.split())


class Watchdog:
    """Pings ``WATCHDOG=1`` every interval, but only while ``is_healthy()`` holds.

    When the check fails systemd stops hearing from us and, after ``WatchdogSec=``, restarts the
    service; a check that raises counts as a failure.
    """

    def __init__(self, notifier: Notifier, interval: float | None = None) -> None:
        self.notifier = notifier
        self.interval = interval if interval is not None else notifier.watchdog_interval()

    async def run(self, is_healthy: Callable[[], bool], clock: Clock) -> None:
        """Run until cancelled; returns at once when no watchdog is armed."""
        if self.interval is None:
            return
        healthy = True
        while True:
            try:
                now_healthy = bool(is_healthy())
            except Exception:
                log.exception("watchdog health check raised")
                now_healthy = False
            if now_healthy:
                self.notifier.watchdog()
                if not healthy:
                    log.info("watchdog health check passes again; pinging resumes")
            elif healthy:
                log.warning("watchdog health check failed; withholding WATCHDOG=1")
            healthy = now_healthy
            await clock.sleep(self.interval)
