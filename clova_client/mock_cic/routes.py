"""The CIC side of the mock: /v1/directives, /v1/events, /ping, /token, /media/."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web

from clova_client.protocol import ProtocolError, parse_event
from clova_client.protocol.multipart import MultipartError, MultipartParser

from .downchannel import CLOSE, encode_response
from .messages import exception_body, log_directive
from .records import RecordedEvent, now

if TYPE_CHECKING:
    from .server import MockCicServer

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AUTHENTICATED = ("/v1/", "/ping")
DEVICE = web.RequestKey("device", str)


def error_response(status: int, description: str, **headers: str) -> web.Response:
    """A System.Exception-like JSON body with the given status."""
    return web.json_response(exception_body(status, description), status=status, headers=headers)


class EventRejected(Exception):
    """An event body the mock answers with 400 (and does not record)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def bad_request(message: str, errors: list[dict[str, str]] | None = None) -> web.Response:
    return web.json_response({"error": message, "errors": errors or []}, status=400)


class CicRoutes:
    """Request handlers bound to one MockCicServer."""

    def __init__(self, server: MockCicServer) -> None:
        self.server = server
        self._connections: dict[str, weakref.WeakSet[Any]] = {}

    # middleware ------------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await self._guarded(request, handler)
        except asyncio.CancelledError:
            log.info(
                "mock_cic.request_abandoned",
                method=request.method,
                path=request.path,
                device=request.get(DEVICE),
            )
            raise

    async def log_response(self, request: web.Request, response: web.StreamResponse) -> None:
        """One line per answered request (on_response_prepare: the status is final here)."""
        if not request.path.startswith("/_mock/"):
            log.info(
                "mock_cic.request",
                method=request.method,
                path=request.path,
                status=response.status,
                device=request.get(DEVICE),
            )

    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        device = self.server.auth.device_for(request.headers.get("Authorization"))
        if device is not None:
            request[DEVICE] = device  # for the log line, even when a fault answers
        rule = self.server.faults.take_failure(request.path)
        if rule is not None:
            headers = {}
            if rule.retry_after is not None:
                headers["Retry-After"] = f"{rule.retry_after:g}"
            return error_response(rule.status, f"injected fault: {rule.status}", **headers)
        if request.path.startswith(AUTHENTICATED):
            if device is None:
                return error_response(401, "missing or invalid access token")
            self._note_client(request, device)
        return await handler(request)

    def _note_client(self, request: web.Request, device: str) -> None:
        record = self.server.devices.get(device)
        agent = request.headers.get("User-Agent")
        if agent:
            record.user_agent = agent
        seen = self._connections.setdefault(device, weakref.WeakSet())
        transport = request.transport
        if transport is not None and transport not in seen:
            seen.add(transport)
            record.connections += 1

    # CIC endpoints ---------------------------------------------------------------------------

    async def directives(self, request: web.Request) -> web.StreamResponse:
        device = request[DEVICE]
        self.server.devices.get(device).count("directives")
        channel = self.server.open_downchannel(device)
        if channel is None:
            return error_response(429, "another downchannel was opened just now")
        response = web.StreamResponse(headers={"Content-Type": channel.content_type})
        try:
            await response.prepare(request)
            while (piece := await channel.next_piece()) is not None:
                await response.write(piece)
                if not channel.up:
                    channel.up = True
                    self.server.downchannel_up(channel)
            if channel.abort:
                if request.transport is not None:
                    request.transport.close()
            else:
                await response.write(CLOSE)
                await response.write_eof()
        except ConnectionError:
            log.info("mock_cic.downchannel_client_gone", device=device)
        finally:
            self.server.downchannel_down(channel)
        return response

    async def events(self, request: web.Request) -> web.StreamResponse:
        device = request[DEVICE]
        record = self.server.devices.get(device)
        record.count("events")
        body = await request.read()
        stall = self.server.faults.take_stall()
        if stall is not None:
            log.info("mock_cic.stalling_event", device=device, seconds=stall)
            await asyncio.sleep(stall)  # cancelled (nothing recorded) if the client gives up
        try:
            event = self._read_event(device, request.headers.get("Content-Type", ""), body)
        except EventRejected as exc:
            record.rejected_events.append({"error": str(exc), "errors": exc.errors})
            log.warning("mock_cic.event_rejected", device=device, error=str(exc))
            return bad_request(str(exc), exc.errors)
        self.server.devices.record_event(event)
        log.info("mock_cic.event", device=device, name=event.name, message_id=event.message_id)
        return self._answer(event)

    def _read_event(self, device: str, content_type: str, body: bytes) -> RecordedEvent:
        try:
            parts = MultipartParser.from_content_type(content_type).feed(body)
        except MultipartError as exc:
            raise EventRejected(f"malformed multipart body: {exc}") from None
        metadata = next((p for p in parts if p.name == "metadata"), None)
        if metadata is None:
            raise EventRejected("no part named 'metadata'")
        audio = next((p.body for p in parts if p.name == "audio"), None)
        try:
            parsed = parse_event(metadata.body)
        except ProtocolError as exc:
            errors = [{"path": e.path, "message": e.message} for e in exc.errors]
            raise EventRejected(f"invalid event: {exc}", errors) from None
        message = json.loads(metadata.body)
        return RecordedEvent(
            name=parsed.full_name,
            message_id=parsed.header.message_id,
            received_at=now(),
            message=message,
            device=device,
            audio=audio,
        )

    def _answer(self, event: RecordedEvent) -> web.Response:
        server = self.server
        directives = []
        attachments: dict[str, bytes] = {}
        reply = server.take_reply(event.device, event.name)
        if reply is not None:
            directives += reply.directives
            attachments.update(reply.attachments or {})
        automatic = server.responders.answer(event.device, event.name, event.message)
        if automatic and server.responders.reply_via == "downchannel":
            server.deliver(event.device, automatic)
        else:
            directives += automatic
        if not directives:
            return web.Response(status=204)
        for item in directives:
            log_directive(event.device, item, via="response")
        body, content_type = encode_response(directives, attachments, server.subtype)
        return web.Response(status=200, body=body, headers={"Content-Type": content_type})

    async def ping(self, request: web.Request) -> web.StreamResponse:
        device = request[DEVICE]
        self.server.devices.get(device).count("ping")
        if self.server.faults.pings_ignored:
            log.info("mock_cic.ping_ignored", device=device)
            await self.server.faults.wait_pings_answered()
        return web.Response(status=204)

    async def token(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                data = await request.json()
                if isinstance(data, dict):
                    params.update({k: str(v) for k, v in data.items()})
            else:
                params.update({k: str(v) for k, v in (await request.post()).items()})
        if params.get("grant_type") != "refresh_token":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        grant = self.server.auth.refresh(params.get("refresh_token", ""))
        if grant is None:
            log.info("mock_cic.token_refused", reason="unknown refresh token")
            return web.json_response({"error": "invalid_grant"}, status=400)
        self.server.devices.get(grant.device).token_refreshes += 1
        self.server.devices.notify()
        log.info("mock_cic.token_issued", device=grant.device, expires_in=grant.expires_in)
        return web.json_response(grant.to_json())

    async def media(self, request: web.Request) -> web.StreamResponse:
        root = self.server.media_dir
        if root is None:
            raise web.HTTPNotFound(text="no media directory configured")
        target = _media_file(Path(root), request.match_info["path"])
        if target is None:
            raise web.HTTPNotFound(text="no such media file")
        return web.FileResponse(target)


def _media_file(root: Path, relative: str) -> Path | None:
    """The file under ``root`` named by ``relative``; None if missing or outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def build_app(server: MockCicServer) -> web.Application:
    from .control import ControlRoutes, control_errors

    routes = CicRoutes(server)
    control = ControlRoutes(server)
    app = web.Application(
        middlewares=[control_errors, routes.middleware], client_max_size=32 * 1024 * 1024
    )
    app.on_response_prepare.append(routes.log_response)
    app.router.add_get("/v1/directives", routes.directives)
    app.router.add_post("/v1/events", routes.events)
    app.router.add_get("/ping", routes.ping)
    app.router.add_route("*", "/token", routes.token)
    app.router.add_get("/media/{path:.+}", routes.media)
    control.register(app.router)
    return app
