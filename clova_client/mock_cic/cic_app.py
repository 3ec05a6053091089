"""The CIC endpoints as a hand-written ASGI app: GET /v1/directives, POST /v1/events, GET /ping.

Every stream of one connection carries the same ``Connection`` record in ``scope["state"]`` (put
there by the listener), which is how the 412 rule knows where an event came from.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from .asgi import Disconnected, Exchange, Receive, Scope, Send
from .connections import Connection
from .downchannel import CLOSE, Downchannel, Ending, encode_response
from .intake import EventRejected, read_event
from .messages import exception_body
from .rules import playback_state_problem, user_agent_problem
from .state import MockState

log = structlog.get_logger(__name__)

CONNECTION_KEY = "mock_cic.connection"
ROUTES = {
    "/v1/directives": ("GET", "directives"),
    "/v1/events": ("POST", "events"),
    "/ping": ("GET", "ping"),
}
"""path -> (method, handler name; also the request counter's key)."""


class CicApp:
    """ASGI application of the CIC port; all decisions are the MockState's."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        exchange = Exchange(scope, receive, send)
        connection: Connection = scope["state"][CONNECTION_KEY]
        if connection.http_version is None:
            connection.http_version = exchange.http_version
        device = self.state.auth.device_for(exchange.header("authorization"))
        try:
            # The whole body first, whatever the answer: hypercorn drops the connection when
            # DATA arrives for a stream it already answered.
            await exchange.body()
            await self._handle(exchange, connection, device)
        except Disconnected:
            log.info(
                "mock_cic.request_abandoned",
                method=exchange.method,
                path=exchange.path,
                device=device,
                connection=connection.id,
            )
        finally:
            exchange.close()

    async def _error(self, exchange: Exchange, status: int, text: str, **headers: str) -> None:
        await exchange.json(status, exception_body(status, text), headers.items())

    async def _handle(self, exchange: Exchange, connection: Connection, device: str | None) -> None:
        """Guards in CIC's order, then the endpoint."""
        state = self.state
        agent = exchange.header("user-agent")
        route = ROUTES.get(exchange.path)
        if exchange.http_version != "2":
            await self._error(exchange, 505, "CIC speaks HTTP/2 only (TLS with ALPN h2, or h2c)")
        elif (rule := state.faults.take_failure(exchange.path)) is not None:
            retry = rule.retry_after
            headers = {"retry-after": f"{retry:g}"} if retry is not None else {}
            await self._error(exchange, rule.status, f"injected fault: {rule.status}", **headers)
        elif route is None:
            await self._error(exchange, 404, f"no such endpoint: {exchange.path}")
        elif route[0] != exchange.method:
            await self._error(exchange, 405, f"{exchange.path} takes {route[0]}")
        elif device is None:
            await self._error(exchange, 401, "missing or invalid access token")
        elif state.rules.user_agent and (problem := user_agent_problem(agent)):
            await self._error(exchange, 400, problem)
        else:
            state.note_request(device, connection, route[1], agent)
            handler = getattr(self, route[1])
            await handler(exchange, device, connection)
        if route is None or route[1] != "directives" or exchange.status != 200:
            self._log(exchange, device, connection)

    def _log(self, exchange: Exchange, device: str | None, connection: Connection) -> None:
        log.info(
            "mock_cic.request",
            method=exchange.method,
            path=exchange.path,
            status=exchange.status,
            device=device,
            connection=connection.id,
        )

    # endpoints -------------------------------------------------------------------------------

    async def directives(self, exchange: Exchange, device: str, connection: Connection) -> None:
        channel = self.state.open_downchannel(device, connection)
        if channel is None:
            await self._error(exchange, 429, "another downchannel was opened just now")
            return
        try:
            await exchange.start(200, [("content-type", channel.content_type)])
            self._log(exchange, device, connection)
            await self._stream(exchange, channel)
        finally:
            self.state.downchannel_down(channel)

    async def _stream(self, exchange: Exchange, channel: Downchannel) -> None:
        while True:
            try:
                piece = await exchange.unless_gone(channel.next_piece())
            except Disconnected:
                log.info("mock_cic.downchannel_client_gone", device=channel.device)
                return
            if piece is not None:
                await exchange.write(piece)
                if not channel.up:
                    self.state.downchannel_up(channel)
                continue
            if channel.ending is Ending.ABORT:
                channel.connection.abort()
                return
            if channel.ending is Ending.GOAWAY:
                await channel.connection.go_away(channel.goaway_grace)
            await exchange.write(CLOSE, more=False)
            return

    async def events(self, exchange: Exchange, device: str, connection: Connection) -> None:
        state = self.state
        body = await exchange.body()
        stall = state.faults.take_stall()
        if stall is not None:
            log.info("mock_cic.stalling_event", device=device, seconds=stall)
            await exchange.unless_gone(asyncio.sleep(stall))  # gone: nothing is recorded
        refusal = state.event_refusal(device, connection)
        if refusal is not None:
            state.reject(device, 412, refusal, [])
            await self._error(exchange, 412, refusal)
            return
        content_type = exchange.header("content-type") or ""
        try:
            event = read_event(device, content_type, body, connection.id)
            problem = state.rules.playback_state and playback_state_problem(
                event.name, event.message
            )
            if problem:
                raise EventRejected(problem, [{"path": "context", "message": problem}])
        except EventRejected as exc:
            state.reject(device, 400, str(exc), exc.errors)
            await exchange.json(400, {"error": str(exc), "errors": exc.errors})
            return
        answer = state.accept_event(event)
        if answer.directives:
            body, content_type = encode_response(
                answer.directives, answer.attachments, state.subtype
            )
            await exchange.respond(200, body, [("content-type", content_type)])
        else:
            await exchange.respond(204)
        state.end_downchannel_after_answer(device)

    async def ping(self, exchange: Exchange, device: str, connection: Connection) -> None:
        if self.state.faults.pings_ignored:
            log.info("mock_cic.ping_ignored", device=device)
            await exchange.unless_gone(self.state.faults.wait_pings_answered())
        await exchange.respond(204)


def connection_state(connection: Connection) -> dict[str, Any]:
    """The per-connection ``scope["state"]`` the listener hands to hypercorn."""
    return {CONNECTION_KEY: connection}
