"""Connection state with checked transitions, listeners and awaitable waits."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    """Not running (before ``run()`` and after it ends)."""
    CONNECTING = "connecting"
    """Opening the connection and the downchannel, waiting for Clova.Hello."""
    CONNECTED = "connected"
    """Clova.Hello received: directives flow, events are sent, pings run."""
    BACKING_OFF = "backing_off"
    """Waiting out a jittered delay after a failure."""
    AUTH_FAILED = "auth_failed"
    """The token was refused and could not be refreshed; retried slowly (file re-read)."""
    WAITING_FOR_TOKEN = "waiting_for_token"
    """No token file yet (first boot): it is watched, and the connection opens once it holds
    a valid token."""


_S = ConnectionState
ALLOWED: dict[ConnectionState, frozenset[ConnectionState]] = {
    _S.DISCONNECTED: frozenset({_S.CONNECTING, _S.WAITING_FOR_TOKEN}),
    _S.WAITING_FOR_TOKEN: frozenset({_S.CONNECTING, _S.DISCONNECTED}),
    _S.CONNECTING: frozenset({_S.CONNECTED, _S.BACKING_OFF, _S.AUTH_FAILED, _S.DISCONNECTED}),
    _S.CONNECTED: frozenset({_S.BACKING_OFF, _S.CONNECTING, _S.AUTH_FAILED, _S.DISCONNECTED}),
    _S.BACKING_OFF: frozenset({_S.CONNECTING, _S.DISCONNECTED}),
    _S.AUTH_FAILED: frozenset({_S.CONNECTING, _S.DISCONNECTED}),
}

StateListener = Callable[[ConnectionState, ConnectionState], None]
"""Called as ``listener(old, new)`` on the event loop, right after each transition."""


class InvalidTransition(RuntimeError):
    pass


class StateMachine:
    def __init__(self) -> None:
        self._state = ConnectionState.DISCONNECTED
        self._listeners: list[StateListener] = []
        self._waiters: list[tuple[frozenset[ConnectionState], asyncio.Future[ConnectionState]]] = []

    @property
    def state(self) -> ConnectionState:
        return self._state

    def add_listener(self, listener: StateListener) -> Callable[[], None]:
        """Subscribe; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def transition(self, new: ConnectionState, reason: str) -> None:
        old = self._state
        if old is new:
            return
        if new not in ALLOWED[old]:
            raise InvalidTransition(f"connection state {old.value} -> {new.value} not allowed")
        self._state = new
        log.info("cic.state", old=old.value, new=new.value, reason=reason)
        for listener in list(self._listeners):
            try:
                listener(old, new)
            except Exception:
                log.exception("cic.state_listener_failed", listener=repr(listener))
        waiting, self._waiters = self._waiters, []
        for states, future in waiting:
            if future.done():
                continue
            if new in states:
                future.set_result(new)
            else:
                self._waiters.append((states, future))

    async def wait_for(self, *states: ConnectionState) -> ConnectionState:
        """Return as soon as the state is one of ``states`` (at once if it already is).

        Even a state held only briefly is seen: waiters are woken inside the transition.
        """
        if self._state in states:
            return self._state
        future: asyncio.Future[ConnectionState] = asyncio.get_running_loop().create_future()
        self._waiters.append((frozenset(states), future))
        return await future
