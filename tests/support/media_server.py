"""A real HTTP media server on 127.0.0.1 for the player tests, the bench and the e2e tests.

Endpoints, for a file ``NAME`` in the served directory:

=====================================  ====================================================
``/range/NAME``                        200 / 206: honours ``Range`` (aiohttp ``FileResponse``)
``/norange/NAME``                      200 with ``Content-Length``; ignores ``Range``
``/chunked/NAME``                      200, ``Transfer-Encoding: chunked``, no length
``/missing/NAME``                      404
``/stall/BYTES/NAME``                  200 with the full length, sends BYTES bytes, then
                                       nothing until the server closes
``/headers-only/NAME``                 200 with the full length, then no byte at all
``/slow/RATE/NAME``                    200 with the full length, RATE bytes per second
``/garbage/NAME``                      200, ``audio/mpeg``, bytes that are no audio format
``refused_url(NAME)``                  a port that is bound but not listening: refused
=====================================  ====================================================

Every request is recorded in ``requests`` (path and Range header) so a test can check what the
player asked for.
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from aiohttp import web

CONTENT_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}
KINDS = ("range", "norange", "chunked", "missing", "stall", "headers-only", "garbage", "slow")


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    range: str | None


class MediaServer:
    """``async with MediaServer(directory) as server: server.url("range", "a.mp3")``."""

    def __init__(self, directory: Path, *, chunk_size: int = 16 * 1024) -> None:
        self.directory = directory
        self.chunk_size = chunk_size
        self.requests: list[Request] = []
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = asyncio.Event()
        self._refused: socket.socket | None = None

    # -- life cycle -------------------------------------------------------------------------
    async def start(self) -> MediaServer:
        app = web.Application()
        app.router.add_get("/range/{name}", self._range)
        app.router.add_get("/norange/{name}", self._norange)
        app.router.add_get("/chunked/{name}", self._chunked)
        app.router.add_get("/missing/{name}", self._missing)
        app.router.add_get("/status/{status:\\d{3}}/{name}", self._status)
        app.router.add_get("/stall/{after:\\d+}/{name}", self._stall)
        app.router.add_get("/headers-only/{name}", self._headers_only)
        app.router.add_get("/slow/{rate:\\d+}/{name}", self._slow)
        app.router.add_get("/garbage/{name}", self._garbage)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        # Bound but never listening: every connect to it is refused, and no one else gets it.
        self._refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refused.bind(("127.0.0.1", 0))
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._refused is not None:
            self._refused.close()
            self._refused = None

    async def __aenter__(self) -> MediaServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- addresses --------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def url(self, kind: str, name: str, *, stall_after: int = 0, rate: int = 16000) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown endpoint kind {kind!r}")
        if kind == "stall":
            return f"{self.base}/stall/{stall_after}/{name}"
        if kind == "slow":
            return f"{self.base}/slow/{rate}/{name}"
        return f"{self.base}/{kind}/{name}"

    def status_url(self, status: int, name: str = "x.mp3") -> str:
        """Answers every request with ``status``."""
        return f"{self.base}/status/{status}/{name}"

    def refused_url(self, name: str = "x.mp3") -> str:
        assert self._refused is not None, "start() the server first"
        port = self._refused.getsockname()[1]
        return f"http://127.0.0.1:{port}/{name}"

    # -- handlers ---------------------------------------------------------------------------
    def _file(self, request: web.Request) -> Path:
        self.requests.append(Request(request.path, request.headers.get("Range")))
        name = request.match_info["name"]
        path = (self.directory / name).resolve()
        if path.parent != self.directory.resolve() or not path.is_file():
            raise web.HTTPNotFound()
        return path

    @staticmethod
    def _type(path: Path) -> str:
        return CONTENT_TYPES.get(path.suffix, "application/octet-stream")

    async def _range(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        return web.FileResponse(
            path, chunk_size=self.chunk_size, headers={"Content-Type": self._type(path)}
        )

    async def _norange(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        body = path.read_bytes()
        resp = web.StreamResponse(status=200, headers={"Content-Type": self._type(path)})
        resp.content_length = len(body)
        await resp.prepare(request)
        await self._write(resp, body)
        await resp.write_eof()
        return resp

    async def _chunked(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        body = path.read_bytes()
        resp = web.StreamResponse(status=200, headers={"Content-Type": self._type(path)})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await self._write(resp, body)
        await resp.write_eof()
        return resp

    async def _status(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.path, request.headers.get("Range")))
        return web.Response(status=int(request.match_info["status"]), text="no")

    async def _missing(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.path, request.headers.get("Range")))
        raise web.HTTPNotFound()

    async def _stall(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        body = path.read_bytes()
        after = min(int(request.match_info["after"]), len(body))
        resp = web.StreamResponse(status=200, headers={"Content-Type": self._type(path)})
        resp.content_length = len(body)
        await resp.prepare(request)
        await self._write(resp, body[:after])
        await self._closing.wait()
        return resp

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        body = path.read_bytes()
        rate = max(1, int(request.match_info["rate"]))  # bytes per second
        resp = web.StreamResponse(status=200, headers={"Content-Type": self._type(path)})
        resp.content_length = len(body)
        await resp.prepare(request)
        chunk = max(1, rate // 10)
        for i in range(0, len(body), chunk):
            await resp.write(body[i : i + chunk])
            await asyncio.sleep(chunk / rate)
        await resp.write_eof()
        return resp

    async def _headers_only(self, request: web.Request) -> web.StreamResponse:
        path = self._file(request)
        resp = web.StreamResponse(status=200, headers={"Content-Type": self._type(path)})
        resp.content_length = path.stat().st_size
        await resp.prepare(request)
        await self._closing.wait()
        return resp

    async def _garbage(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.path, request.headers.get("Range")))
        rng = random.Random(request.match_info["name"])
        # Printable junk: no MPEG sync word can appear, so no decoder takes it for audio.
        body = bytes(rng.randrange(0x20, 0x7F) for _ in range(64 * 1024))
        resp = web.StreamResponse(status=200, headers={"Content-Type": "audio/mpeg"})
        resp.content_length = len(body)
        await resp.prepare(request)
        await self._write(resp, body)
        await resp.write_eof()
        return resp

    async def _write(self, resp: web.StreamResponse, body: bytes) -> None:
        for i in range(0, len(body), self.chunk_size):
            await resp.write(body[i : i + self.chunk_size])
