"""The plain-HTTP/1.1 side of the mock (aiohttp): /_mock/ (control), /media/ and /token.

libVLC fetches media over HTTP/1.1 and the daemon refreshes tokens at an auth server that is not
CIC, so these live on their own port, next to the HTTP/2 CIC port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from aiohttp import web

from .control import ControlRoutes, ServerInfo, control_errors
from .messages import exception_body
from .state import MockState

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebRoutes:
    """``/token`` and ``/media/`` handlers, and the fault/log middleware of the plain port."""

    def __init__(self, state: MockState, media_dir: Path | None) -> None:
        self.state = state
        self.media_dir = media_dir

    @web.middleware
    async def faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        rule = self.state.faults.take_failure(request.path)
        if rule is None:
            return await handler(request)
        retry = rule.retry_after
        headers = {"Retry-After": f"{retry:g}"} if retry is not None else {}
        body = exception_body(rule.status, f"injected fault: {rule.status}")
        return web.json_response(body, status=rule.status, headers=headers)

    async def log_response(self, request: web.Request, response: web.StreamResponse) -> None:
        """One line per answered request but the control API (the status is final here)."""
        if not request.path.startswith("/_mock/"):
            log.info(
                "mock_cic.request", method=request.method, path=request.path, status=response.status
            )

    async def token(self, request: web.Request) -> web.StreamResponse:
        """OAuth-like refresh (form body, JSON body or query string)."""
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
        grant = self.state.auth.refresh(params.get("refresh_token", ""))
        if grant is None:
            log.info("mock_cic.token_refused", reason="unknown refresh token")
            return web.json_response({"error": "invalid_grant"}, status=400)
        self.state.devices.get(grant.device).token_refreshes += 1
        self.state.devices.notify()
        log.info("mock_cic.token_issued", device=grant.device, expires_in=grant.expires_in)
        return web.json_response(grant.to_json())

    async def media(self, request: web.Request) -> web.StreamResponse:
        if self.media_dir is None:
            raise web.HTTPNotFound(text="no media directory configured")
        target = media_file(self.media_dir, request.match_info["path"])
        if target is None:
            raise web.HTTPNotFound(text="no such media file")
        return web.FileResponse(target)

    async def voice(self, request: web.Request) -> web.StreamResponse:
        """The voice answers' files: a Speak by URL or HLS, the default answer's track."""
        name = request.match_info["path"]
        audio = self.state.voice.audio
        status = audio.status(name)
        if status is not None:
            return web.json_response(exception_body(status, "scripted url_status"), status=status)
        target = audio.file(name)
        if target is None:
            raise web.HTTPNotFound(text="no such voice file")
        return web.FileResponse(target)


def media_file(root: Path, relative: str) -> Path | None:
    """The file under ``root`` named by ``relative``; None if missing or outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def build_web_app(
    state: MockState, media_dir: Path | None, server_info: ServerInfo
) -> web.Application:
    routes = WebRoutes(state, media_dir)
    app = web.Application(
        middlewares=[control_errors, routes.faults], client_max_size=32 * 1024 * 1024
    )
    app.on_response_prepare.append(routes.log_response)
    app.router.add_route("*", "/token", routes.token)
    app.router.add_get("/media/{path:.+}", routes.media)
    app.router.add_get("/voice/{path:.+}", routes.voice)
    ControlRoutes(state, server_info).register(app.router)
    return app
