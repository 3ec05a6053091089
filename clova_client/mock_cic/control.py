"""The control API under /_mock/: what QA and the scenario runner use to drive the mock."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .records import WaitTimeout

if TYPE_CHECKING:
    from .server import MockCicServer

FAULT_TYPES = (
    "drop_downchannel",
    "refuse_connections",
    "fail_next",
    "stall_next_event",
    "ignore_pings",
    "expire_token",
    "clear",
)


class ControlError(Exception):
    """A control request the mock cannot act on (answered 400 with the message)."""


def _float(value: Any, name: str, default: float | None = None) -> float:
    if value is None:
        if default is None:
            raise ControlError(f"{name} is required")
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ControlError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):  # int(nan) would fail later, as a 500
        raise ControlError(f"{name} must be a finite number, got {value!r}")
    return number


def _int(value: Any, name: str, default: int | None = None) -> int:
    return int(_float(value, name, None if default is None else float(default)))


def decode_attachments(raw: Any) -> dict[str, bytes] | None:
    """``{content_id: base64}`` -> ``{content_id: bytes}``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ControlError("attachments must be an object {content_id: base64 data}")
    try:
        return {str(cid): base64.b64decode(data, validate=True) for cid, data in raw.items()}
    except (binascii.Error, TypeError) as exc:
        raise ControlError(f"attachments: invalid base64: {exc}") from None


def directives_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = body.get("directives", body.get("directive"))
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items or not all(isinstance(d, dict) for d in items):
        raise ControlError("give 'directive' (an object) or 'directives' (a list of objects)")
    return items


class ControlRoutes:
    def __init__(self, server: MockCicServer) -> None:
        self.server = server

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/_mock/devices", self.devices)
        router.add_post("/_mock/push", self.push)
        router.add_post("/_mock/reply", self.reply)
        router.add_get("/_mock/events", self.events)
        router.add_get("/_mock/events/wait", self.wait_event)
        router.add_get("/_mock/downchannel/wait", self.wait_downchannel)
        router.add_post("/_mock/reset", self.reset)
        router.add_post("/_mock/faults", self.fault)
        router.add_get("/_mock/responders", self.get_responders)
        router.add_post("/_mock/responders", self.set_responders)

    # helpers ---------------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise ControlError("body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        return body

    def _device(self, value: Any) -> str:
        if value:
            return str(value)
        devices = sorted(set(self.server.auth.initial_devices()))
        if len(devices) == 1:
            return devices[0]
        raise ControlError(f"device is required (known devices: {', '.join(devices)})")

    @staticmethod
    def _ok(**data: Any) -> web.Response:
        return web.json_response({"ok": True, **data})

    # handlers --------------------------------------------------------------------------------

    async def devices(self, request: web.Request) -> web.StreamResponse:
        for name in self.server.auth.initial_devices():
            self.server.devices.get(name)
        devices = {name: r.to_json() for name, r in self.server.devices.all().items()}
        known = sorted(devices)
        faults = self.server.faults.to_json()
        return web.json_response({"devices": devices, "known_devices": known, "faults": faults})

    async def push(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        device = self._device(body.get("device"))
        directives = directives_of(body)
        delivered = self.server.deliver(
            device, directives, decode_attachments(body.get("attachments"))
        )
        return self._ok(device=device, delivered=delivered, queued=not delivered)

    async def reply(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        device = self._device(body.get("device"))
        attachments = decode_attachments(body.get("attachments"))
        self.server.reply_next(
            device, *directives_of(body), on=body.get("on"), attachments=attachments
        )
        return self._ok(device=device)

    async def events(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        device = self._device(query.get("device"))
        events = self.server.events(device, query.get("name") or None)
        return web.json_response({"device": device, "events": [e.to_json() for e in events]})

    async def wait_event(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        device = self._device(query.get("device"))
        name = query.get("name")
        if not name:
            raise ControlError("name is required")
        timeout = _float(query.get("timeout"), "timeout", 10.0)
        index = _int(query.get("index"), "index", 0)
        try:
            event = await self.server.wait_event(device, name, timeout=timeout, index=index)
        except WaitTimeout as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=408)
        return web.json_response({"ok": True, "event": event.to_json()})

    async def wait_downchannel(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        device = self._device(query.get("device"))
        count = _int(query.get("opened_count"), "opened_count", 1)
        timeout = _float(query.get("timeout"), "timeout", 10.0)
        try:
            await self.server.wait_downchannel(device, opened_count=count, timeout=timeout)
        except WaitTimeout as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=408)
        return self._ok(device=self.server.device(device).to_json())

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.server.reset()
        return self._ok()

    async def get_responders(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.server.responders.to_json())

    async def set_responders(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        try:
            self.server.responders.update(body)
        except (ValueError, TypeError) as exc:
            raise ControlError(str(exc)) from None
        return web.json_response(self.server.responders.to_json())

    async def fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        kind = body.get("type")
        server = self.server
        if kind == "refuse_connections":
            seconds = _float(body.get("seconds"), "seconds")
            # Answer first: the refusal cuts every connection, this one included.
            response = self._ok(type=kind)
            await response.prepare(request)
            await response.write_eof()
            server.refuse_connections(seconds)
            return response
        if kind == "drop_downchannel":
            device = self._device(body.get("device"))
            dropped = server.drop_downchannel(device, abort=bool(body.get("abort", False)))
            return self._ok(type=kind, dropped=dropped)
        if kind == "fail_next":
            retry_after = body.get("retry_after")
            server.fail_next(
                _int(body.get("n", body.get("count")), "n"),
                _int(body.get("status"), "status"),
                path_prefix=body.get("path_prefix"),
                retry_after=None if retry_after is None else _float(retry_after, "retry_after"),
            )
        elif kind == "stall_next_event":
            server.stall_next_event(_float(body.get("seconds"), "seconds"))
        elif kind == "ignore_pings":
            server.ignore_pings(bool(body.get("on", True)))
        elif kind == "expire_token":
            server.expire_token(self._device(body.get("device")))
        elif kind == "clear":
            server.faults.clear()
        else:
            raise ControlError(f"unknown fault type {kind!r}; one of {', '.join(FAULT_TYPES)}")
        return self._ok(type=kind)


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn ControlError into ``400 {"ok": false, "error": ...}``."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ControlError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
