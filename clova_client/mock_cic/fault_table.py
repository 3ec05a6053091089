"""The one table of faults: the Python API, ``POST /_mock/faults`` and scenarios all use it.

Each entry is a name, its parameters (name, type, default) and a function of the MockState.
Adding a fault is one entry here (plus, optionally, a named method on MockCicServer).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from .downchannel import Ending
from .faults import FailRule
from .state import MockState

log = structlog.get_logger(__name__)

REQUIRED: Any = object()
"""Default of a parameter that must be given."""
DEVICE_DEFAULT: Any = object()
"""Default of ``device``: the one device the mock knows (an error when it knows several)."""
DEFAULT_GOAWAY_GRACE = 5.0


class FaultError(ValueError):
    """A fault request the mock cannot act on: unknown type, missing or bad parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: type
    """float, int, bool or str; a default of None makes it optional."""
    default: Any = REQUIRED
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fault:
    name: str
    params: tuple[Param, ...]
    apply: Callable[[MockState, dict[str, Any]], dict[str, Any]]
    doc: str


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise FaultError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise FaultError(f"{name} must be a finite number, got {value!r}")
    return number


def _coerce(param: Param, value: Any, state: MockState) -> Any:
    if value is None and param.default is None:
        return None
    if param.kind is float:
        return _number(value, param.name)
    if param.kind is int:
        return int(_number(value, param.name))
    if param.kind is bool:
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise FaultError(f"{param.name} must be true or false, got {value!r}")
    if param.name == "device":
        try:
            return state.device_or_default(value)
        except ValueError as exc:
            raise FaultError(str(exc)) from None
    if not isinstance(value, str):
        raise FaultError(f"{param.name} must be a string, got {value!r}")
    return value


def check_names(name: str, given: Mapping[str, Any]) -> Fault:
    """The fault called ``name``; FaultError on an unknown type or parameter (no state needed)."""
    fault = FAULTS.get(name)
    if fault is None:
        raise FaultError(f"unknown fault type {name!r}; one of {', '.join(FAULTS)}")
    known = {"device"} | {n for p in fault.params for n in (p.name, *p.aliases)}
    unknown = sorted(set(given) - known)
    if unknown:
        allowed = ", ".join(p.name for p in fault.params) or "none"
        raise FaultError(f"fault {name}: unknown parameter(s) {unknown} (parameters: {allowed})")
    return fault


def bind(fault: Fault, given: Mapping[str, Any], state: MockState) -> dict[str, Any]:
    """Typed arguments from a JSON body or keyword arguments, defaults filled in."""
    args: dict[str, Any] = {}
    for param in fault.params:
        value = next((given[n] for n in (param.name, *param.aliases) if n in given), None)
        if value is None and param.default is REQUIRED:
            raise FaultError(f"fault {fault.name}: {param.name} is required")
        if value is None and param.default is not DEVICE_DEFAULT:
            args[param.name] = param.default
            continue
        args[param.name] = _coerce(param, value, state)
    return args


def inject(state: MockState, name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Check and apply one fault; returns what it did (e.g. ``{"dropped": true}``)."""
    fault = check_names(name, given)
    args = bind(fault, given, state)
    log.info("mock_cic.fault", fault=name, **args)
    return fault.apply(state, args)


# the faults ----------------------------------------------------------------------------------


def _drop_downchannel(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    channel = state.downchannels.get(a["device"])
    if channel is not None:
        channel.close(abort=a["abort"])
    return {"dropped": channel is not None}


def _goaway(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    channel = state.downchannels.get(a["device"])
    if channel is not None:
        channel.goaway_grace = a["grace"]
        channel.close(ending=Ending.GOAWAY)
    return {"sent": channel is not None}


def _refuse_connections(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    if state.refuse is None:
        raise FaultError("the mock is not running")
    state.refuse(a["seconds"])
    return {}


def _fail_next(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    rule = FailRule(a["status"], a["n"], a["path_prefix"], a["retry_after"])
    state.faults.fail_rules.append(rule)
    return {}


def _stall_next_event(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    state.faults.stalls.append(a["seconds"])
    return {}


def _ignore_pings(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    state.faults.ignore_pings(a["on"])
    return {}


def _expire_token(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    return {"revoked": state.auth.expire(a["device"])}


def _answer_then_end(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    state.faults.end_after_answer.add(a["device"])
    return {}


def _delay_hello(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    if a["seconds"] < 0:
        raise FaultError("delay_hello: seconds must not be negative")
    state.faults.hello_delays[a["device"]] = a["seconds"]
    return {}


def _clear(state: MockState, a: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {}


DEVICE = Param("device", str, DEVICE_DEFAULT)
SECONDS = Param("seconds", float)

FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "drop_downchannel",
            (DEVICE, Param("abort", bool, False)),
            _drop_downchannel,
            "end the downchannel: closing delimiter, or (abort) cut the TCP connection",
        ),
        Fault(
            "goaway",
            (DEVICE, Param("grace", float, DEFAULT_GOAWAY_GRACE)),
            _goaway,
            "end the downchannel cleanly and GOAWAY its connection once its streams are done",
        ),
        Fault(
            "answer_then_end_downchannel",
            (DEVICE,),
            _answer_then_end,
            "answer the next event normally, then end the downchannel cleanly",
        ),
        Fault(
            "delay_hello",
            (DEVICE, SECONDS),
            _delay_hello,
            "hold Clova.Hello back on the device's next downchannel for some seconds",
        ),
        Fault(
            "refuse_connections",
            (SECONDS,),
            _refuse_connections,
            "stop listening on the CIC port and cut its connections for some seconds",
        ),
        Fault(
            "fail_next",
            (
                Param("n", int, aliases=("count",)),
                Param("status", int),
                Param("path_prefix", str, None),
                Param("retry_after", float, None),
            ),
            _fail_next,
            "answer the next n requests (under path_prefix) with status",
        ),
        Fault(
            "stall_next_event",
            (SECONDS,),
            _stall_next_event,
            "hold the next event for some seconds",
        ),
        Fault("ignore_pings", (Param("on", bool, True),), _ignore_pings, "leave GET /ping hanging"),
        Fault("expire_token", (DEVICE,), _expire_token, "every access token of the device: 401"),
        Fault(
            "clear",
            (),
            _clear,
            "clear fail_next, stalls, ignored pings, pending ends and Hello delays",
        ),
    )
}
