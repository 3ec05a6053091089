"""An https:// CIC URL whose server negotiates HTTP/1.1 is a clear error, never a silent loop.

CIC speaks HTTP/2 only and answers 412 to events that do not share the downchannel's
connection, so a proxy or a wrong host that speaks HTTP/1.1 over TLS must be said plainly: one
error line per attempt, ``last_failure`` and ``http_version`` for ``status``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from clova_client.cic.state import ConnectionState

from .helpers import HarnessFactory, until


@pytest.fixture
async def http1_tls_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path, list[str]]]:
    """An HTTP/1.1-only TLS server that answers like CIC would (Hello on the downchannel)."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    seen: list[str] = []

    async def anything(request: web.Request) -> web.StreamResponse:
        seen.append(f"{request.method} {request.path} HTTP/{request.version.major}")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}", ca_file, seen
    finally:
        await runner.cleanup()


async def test_http1_over_tls_is_a_clear_error(
    http1_tls_server: tuple[str, Path, list[str]],
    make_harness: HarnessFactory,
    log_events: list[MutableMapping[str, Any]],
) -> None:
    url, ca_file, seen = http1_tls_server
    h = make_harness(url, ca_file=ca_file)
    await until(lambda: h.client.state is ConnectionState.BACKING_OFF)
    assert seen and seen[0] == "GET /v1/directives HTTP/1"
    assert h.client.http_version == "HTTP/1.1"
    assert h.client.last_failure is not None
    assert "HTTP/1.1, not HTTP/2" in h.client.last_failure
    (line, *_) = [e for e in log_events if e["event"] == "cic.http2_required"]
    assert line["log_level"] == "error" and line["http_version"] == "HTTP/1.1"
    assert all(not s.startswith("POST /v1/events") for s in seen)  # no event goes out on it
