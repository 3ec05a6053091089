"""The HTTP edge: one ``httpx.AsyncClient`` per connection generation, and CIC's three requests.

With HTTP/2 (``https://`` by ALPN, or ``http://`` with ``http2_prior_knowledge``: the mock CIC's
h2c) httpcore puts every request of a client on its one connection, even while it is still being
set up, so the downchannel, the events and the pings share it as CIC demands (else: 412). Only a
plain ``http://`` base URL without prior knowledge speaks HTTP/1.1 (tests at the transport edge).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx

from .settings import CicSettings

TransportFactory = Callable[[], httpx.AsyncBaseTransport]
"""Builds the transport of one generation; tests inject ``httpx.MockTransport`` here."""

DIRECTIVES_PATH = "/v1/directives"
EVENTS_PATH = "/v1/events"
PING_PATH = "/ping"


def keepalive_options(idle_s: float) -> list[tuple[int, int, int]]:
    """TCP keepalive: the kernel too notices a half-dead socket, besides ``GET /ping``."""
    opts = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (("TCP_KEEPIDLE", idle_s), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            opts.append((socket.IPPROTO_TCP, getattr(socket, name), max(1, int(value))))
    return opts


def tls_context(settings: CicSettings) -> ssl.SSLContext:
    """The system's trust store, or only ``ca_file`` when one is set."""
    if settings.ca_file is None:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=str(settings.ca_file))


def default_transport(settings: CicSettings) -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(
        verify=tls_context(settings),
        http1=not settings.http2_prior_knowledge,
        http2=settings.http2,
        retries=0,
        socket_options=keepalive_options(settings.ping_interval_s),
    )


class Transport:
    """One connection generation. Close it to drop the connection (``async with``)."""

    def __init__(
        self, settings: CicSettings, token: Callable[[], str], factory: TransportFactory | None
    ) -> None:
        self._settings = settings
        self._token = token
        transport = factory() if factory is not None else default_transport(settings)
        self.http = httpx.AsyncClient(
            base_url=settings.root,
            transport=transport,
            headers={"User-Agent": str(settings.user_agent)},
            timeout=httpx.Timeout(settings.event_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: it could split the one connection
        )

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def _auth(self) -> tuple[str, dict[str, str]]:
        token = self._token()
        return token, {"Authorization": f"Bearer {token}"}

    def downchannel(self) -> tuple[str, AbstractAsyncContextManager[httpx.Response]]:
        """``GET /v1/directives`` as a stream with no read timeout (pings watch liveness)."""
        token, headers = self._auth()
        s = self._settings
        timeout = httpx.Timeout(s.connect_timeout_s, read=None)
        return token, self.http.stream("GET", DIRECTIVES_PATH, headers=headers, timeout=timeout)

    def event(
        self, body: bytes, content_type: str
    ) -> tuple[str, AbstractAsyncContextManager[httpx.Response]]:
        """``POST /v1/events``; the response is streamed so its directives go out as they come."""
        token, headers = self._auth()
        headers["Content-Type"] = content_type
        return token, self.http.stream("POST", EVENTS_PATH, headers=headers, content=body)

    def event_stream(
        self, content: AsyncIterator[bytes], content_type: str
    ) -> AbstractAsyncContextManager[httpx.Response]:
        """``POST /v1/events`` whose body is sent as ``content`` yields it (Recognize); no
        write timeout (the user speaks as long as it takes), the answer read as it comes."""
        _, headers = self._auth()
        headers["Content-Type"] = content_type
        s = self._settings
        timeout = httpx.Timeout(s.event_timeout_s, connect=s.connect_timeout_s, write=None)
        return self.http.stream(
            "POST", EVENTS_PATH, headers=headers, content=content, timeout=timeout
        )

    async def ping(self) -> tuple[str, httpx.Response]:
        token, headers = self._auth()
        timeout = self._settings.ping_timeout_s + self._settings.connect_timeout_s
        return token, await self.http.get(PING_PATH, headers=headers, timeout=timeout)
