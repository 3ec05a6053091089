"""The control API under /_mock/ (aiohttp, plain HTTP/1.1): what QA and scenarios drive."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from .fault_table import FaultError, inject
from .records import WaitTimeout
from .remote import parse_remote
from .state import MockState

ServerInfo = Callable[[], dict[str, Any]]


class ControlRequestError(Exception):
    """A control request the mock cannot act on (answered 400 with the message)."""


def _float(value: Any, name: str, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ControlRequestError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):  # int(nan) would fail later, as a 500
        raise ControlRequestError(f"{name} must be a finite number, got {value!r}")
    return number


def _int(value: Any, name: str, default: int) -> int:
    return int(_float(value, name, float(default)))


def _position(value: Any, name: str) -> int:
    """A list position from the query (``index``, ``since``): a whole number >= 0."""
    number = _float(value, name, 0.0)
    if number < 0 or number != int(number):
        raise ControlRequestError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(number)


def decode_attachments(raw: Any) -> dict[str, bytes] | None:
    """``{content_id: base64}`` -> ``{content_id: bytes}``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ControlRequestError("attachments must be an object {content_id: base64 data}")
    try:
        return {str(cid): base64.b64decode(data, validate=True) for cid, data in raw.items()}
    except (binascii.Error, TypeError) as exc:
        raise ControlRequestError(f"attachments: invalid base64: {exc}") from None


def directives_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = body.get("directives", body.get("directive"))
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items or not all(isinstance(d, dict) for d in items):
        raise ControlRequestError(
            "give 'directive' (an object) or 'directives' (a list of objects)"
        )
    return items


class ControlRoutes:
    def __init__(self, state: MockState, server_info: ServerInfo) -> None:
        self.state = state
        self.server_info = server_info

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/_mock/devices", self.devices)
        router.add_post("/_mock/push", self.push)
        router.add_post("/_mock/reply", self.reply)
        router.add_post("/_mock/remote", self.remote)
        router.add_get("/_mock/events", self.events)
        router.add_get("/_mock/events/wait", self.wait_event)
        router.add_get("/_mock/downchannel/wait", self.wait_downchannel)
        router.add_post("/_mock/reset", self.reset)
        router.add_post("/_mock/faults", self.fault)
        router.add_get("/_mock/responders", self.get_responders)
        router.add_post("/_mock/responders", self.set_responders)
        router.add_get("/_mock/voice", self.get_voice)
        router.add_post("/_mock/voice", self.set_voice)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise ControlRequestError("body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ControlRequestError("body must be a JSON object")
        return body

    def _device(self, value: Any) -> str:
        try:
            return self.state.device_or_default(value)
        except ValueError as exc:
            raise ControlRequestError(str(exc)) from None

    @staticmethod
    def _ok(**data: Any) -> web.Response:
        return web.json_response({"ok": True, **data})

    async def devices(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        for name in state.auth.initial_devices():
            state.devices.get(name)
        devices = {name: r.to_json() for name, r in state.devices.all().items()}
        return web.json_response(
            {
                "devices": devices,
                "known_devices": sorted(devices),
                "faults": state.faults.to_json(),
                "rules": state.rules.to_json(),
                "connections": [c.to_json() for c in state.connections.all()],
                "server": self.server_info(),
            }
        )

    async def push(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        device = self._device(body.get("device"))
        attachments = decode_attachments(body.get("attachments"))
        delivered = self.state.deliver(device, directives_of(body), attachments)
        return self._ok(device=device, delivered=delivered, queued=not delivered)

    async def reply(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        device = self._device(body.get("device"))
        attachments = decode_attachments(body.get("attachments"))
        self.state.reply_next(
            device, directives_of(body), on=body.get("on"), attachments=attachments
        )
        return self._ok(device=device)

    async def remote(self, request: web.Request) -> web.StreamResponse:
        """The Clova app's remote control: CIC's Expect*Command (or SetRepeatMode) for a tap."""
        body = await self._body(request)
        device = self._device(body.get("device"))
        try:
            command = parse_remote(body)
        except ValueError as exc:
            raise ControlRequestError(str(exc)) from None
        message, delivered = self.state.remote_control(device, command)
        return self._ok(
            device=device,
            directive=message,
            dialog_request_id=command.dialog_request_id,
            answer=command.event_name,
            delivered=delivered,
            queued=not delivered,
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        device = self._device(request.query.get("device"))
        since = _position(request.query.get("since"), "since")
        record = self.state.devices.get(device)
        events = record.named(request.query.get("name") or None, since=since)
        return web.json_response(
            {
                "device": device,
                "since": since,
                "total": len(record.events),
                "events": [e.to_json() for e in events],
            }
        )

    async def wait_event(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        device = self._device(query.get("device"))
        name = query.get("name")
        if not name:
            raise ControlRequestError("name is required")
        timeout = _float(query.get("timeout"), "timeout", 10.0)
        index = _position(query.get("index"), "index")
        since = _position(query.get("since"), "since")
        try:
            event = await self.state.devices.wait_event(
                device, name, within=timeout, index=index, since=since
            )
        except WaitTimeout as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=408)
        return web.json_response({"ok": True, "event": event.to_json()})

    async def wait_downchannel(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        device = self._device(query.get("device"))
        count = _int(query.get("opened_count"), "opened_count", 1)
        timeout = _float(query.get("timeout"), "timeout", 10.0)
        try:
            await self.state.devices.wait_downchannel(device, opened_count=count, within=timeout)
        except WaitTimeout as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=408)
        return self._ok(device=self.state.devices.get(device).to_json())

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.state.reset()
        return self._ok()

    async def get_responders(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.state.responders.to_json())

    async def set_responders(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        try:
            self.state.responders.update(body)
        except (ValueError, TypeError) as exc:
            raise ControlRequestError(str(exc)) from None
        return web.json_response(self.state.responders.to_json())

    async def get_voice(self, request: web.Request) -> web.StreamResponse:
        """What Recognize gets: the queued answers, the default, what was answered so far."""
        return web.json_response(self.state.voice.to_json())

    async def set_voice(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        try:
            self.state.voice.script.update(body)
        except ValueError as exc:
            raise ControlRequestError(str(exc)) from None
        return web.json_response({"ok": True, **self.state.voice.to_json()})

    async def fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        kind = body.pop("type", None)
        if not isinstance(kind, str):
            raise ControlRequestError("give the fault's 'type'")
        try:
            result = inject(self.state, kind, body)
        except FaultError as exc:
            raise ControlRequestError(str(exc)) from None
        return self._ok(type=kind, **result)


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn ControlRequestError into ``400 {"ok": false, "error": ...}``."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ControlRequestError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
