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
from .intake import EventIntake, EventRejected
from .messages import exception_body, log_directive
from .records import RecordedEvent
from .rules import playback_state_problem, user_agent_problem
from .state import MockState
from .voice import Recognition, RenderError
from .voice_intake import Recognizing, encode_items

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
        # Every answer waits for the whole body: hypercorn drops the connection when DATA
        # arrives for a stream already answered.
        await exchange.body()
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
        await exchange.body()
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
        """Read as the body arrives: a Recognize's StopCapture goes out while its audio streams;
        the answer (and any refusal) once the body has ended."""
        state = self.state
        intake = EventIntake(device, exchange.header("content-type") or "", connection.id)
        recognizing = Recognizing(state, device, connection)
        try:
            async for chunk in exchange.chunks():
                intake.feed(chunk)
                recognizing.fed(intake)
        except BaseException:
            recognizing.abandon()
            raise
        stall = state.faults.take_stall()
        if stall is not None:
            log.info("mock_cic.stalling_event", device=device, seconds=stall)
            try:  # gone: nothing is recorded
                await exchange.unless_gone(asyncio.sleep(stall))
            except Disconnected:
                recognizing.abandon()
                raise
        refusal = recognizing.refusal or state.event_refusal(device, connection)
        if refusal is not None:
            recognizing.abandon()
            state.reject(device, 412, refusal, [])
            await self._error(exchange, 412, refusal)
            return
        try:
            event = intake.event()
            problem = state.rules.playback_state and playback_state_problem(
                event.name, event.message
            )
            if problem:
                raise EventRejected(problem, [{"path": "context", "message": problem}])
            recognition = recognizing.check(intake, event)
        except EventRejected as exc:
            recognizing.abandon()
            state.reject(device, 400, str(exc), exc.errors)
            await exchange.json(400, {"error": str(exc), "errors": exc.errors})
            return
        if recognition is not None:
            await self._answer_recognition(exchange, event, recognition)
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

    async def _answer_recognition(
        self, exchange: Exchange, event: RecordedEvent, recognition: Recognition
    ) -> None:
        state, device = self.state, event.device
        state.accept_recognition(event, recognition)
        try:
            items = await exchange.unless_gone(state.voice.answer(recognition))
        except RenderError as exc:
            log.error("mock_cic.voice_render_failed", device=device, error=str(exc))
            state.voice.answered_with(recognition, 500)
            await self._error(exchange, 500, f"the mock could not make the answer's audio: {exc}")
            return
        for item in items:
            if isinstance(item, dict):
                log_directive(device, item, via="response")
        state.voice.note_sent(device, [i for i in items if isinstance(i, dict)])
        if items:
            body, content_type = encode_items(items, state.subtype)
            await exchange.respond(200, body, [("content-type", content_type)])
        else:
            await exchange.respond(204)
        state.voice.answered_with(recognition, exchange.status or 0)
        state.end_downchannel_after_answer(device)

    async def ping(self, exchange: Exchange, device: str, connection: Connection) -> None:
        await exchange.body()
        if self.state.faults.pings_ignored:
            log.info("mock_cic.ping_ignored", device=device)
            await exchange.unless_gone(self.state.faults.wait_pings_answered())
        await exchange.respond(204)


def connection_state(connection: Connection) -> dict[str, Any]:
    """The per-connection ``scope["state"]`` the listener hands to hypercorn."""
    return {CONNECTION_KEY: connection}
