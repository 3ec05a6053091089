"""HTTP client of the control API (what the scenario runner uses to drive a running mock)."""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from types import TracebackType
from typing import Any, Self

import aiohttp

RETRY_PAUSE = 0.2
"""Pause between attempts while the mock refuses connections (fault refuse_connections)."""


class ControlApiError(Exception):
    """The control API answered with an error, or could not be reached in time."""


class WaitFailed(Exception):
    """A long poll (event, downchannel) ended without what it waited for."""


def _json_object(method: str, url: str, status: int, raw: bytes) -> dict[str, Any]:
    """The decoded body; every control API answer is a JSON object, anything else is an error."""
    try:
        body = jsonlib.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = " ".join(raw[:200].decode("utf-8", "replace").split()) or "<empty body>"
        raise ControlApiError(f"{method} {url} -> {status}: not a JSON object: {text}")
    return body


class ControlClient:
    """Calls ``/_mock/*``; retries connection errors until a deadline (the mock may be refusing)."""

    def __init__(self, base_url: str, *, reconnect_within: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.reconnect_within = reconnect_within
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        within: float | None = None,
    ) -> tuple[int, dict[str, Any]]:
        assert self._session is not None, "use ControlClient as an async context manager"
        url = self.base_url + path
        deadline = time.monotonic() + (within if within is not None else self.reconnect_within)
        while True:
            try:
                async with self._session.request(method, url, json=json, params=params) as response:
                    status, raw = response.status, await response.read()
                return status, _json_object(method, url, status, raw)
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                if time.monotonic() >= deadline:
                    raise ControlApiError(
                        f"mock CIC at {self.base_url} unreachable: {exc}"
                    ) from exc
                await asyncio.sleep(RETRY_PAUSE)
            except aiohttp.ClientError as exc:  # e.g. an invalid --base-url
                raise ControlApiError(f"{method} {url}: {exc}") from None

    async def _ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, body = await self._call(method, path, **kwargs)
        if status >= 400:
            raise ControlApiError(f"{method} {path} -> {status}: {body.get('error')}")
        return body

    async def devices(self) -> dict[str, Any]:
        body: dict[str, Any] = await self._ok("GET", "/_mock/devices")
        return body

    async def push(
        self, device: str, directives: list[dict[str, Any]], attachments: dict[str, str] | None
    ) -> None:
        body = {"device": device, "directives": directives, "attachments": attachments}
        await self._ok("POST", "/_mock/push", json=body)

    async def reply(
        self,
        device: str,
        directives: list[dict[str, Any]],
        on: str | None,
        attachments: dict[str, str] | None,
    ) -> None:
        body = {"device": device, "directives": directives, "on": on, "attachments": attachments}
        await self._ok("POST", "/_mock/reply", json=body)

    async def remote(self, device: str, command: dict[str, Any]) -> dict[str, Any]:
        """The Clova app's tap (``POST /_mock/remote``); the mock's answer."""
        body: dict[str, Any] = await self._ok(
            "POST", "/_mock/remote", json={**command, "device": device}
        )
        return body

    async def events(
        self, device: str, name: str | None = None, *, since: int = 0
    ) -> list[dict[str, Any]]:
        """The device's events (of ``name``) from position ``since`` of its event list on."""
        params = {"device": device, "since": str(since), **({"name": name} if name else {})}
        body = await self._ok("GET", "/_mock/events", params=params)
        events: list[dict[str, Any]] = body["events"]
        return events

    async def _wait(self, path: str, params: dict[str, str], within: float) -> Any:
        deadline = time.monotonic() + within
        while True:
            left = max(0.0, deadline - time.monotonic())
            status, body = await self._call(
                "GET", path, params={**params, "timeout": f"{left:.3f}"}, within=left + 5
            )
            if status == 200:
                return body
            if status != 408:
                raise ControlApiError(f"GET {path} -> {status}: {body.get('error')}")
            if time.monotonic() >= deadline:
                raise WaitFailed(str(body.get("error", "timed out")))

    async def wait_event(
        self, device: str, name: str, *, index: int, within: float, since: int = 0
    ) -> dict[str, Any]:
        """The ``index``-th ``name`` event among those from position ``since`` on."""
        params = {"device": device, "name": name, "index": str(index), "since": str(since)}
        body = await self._wait("/_mock/events/wait", params, within)
        event: dict[str, Any] = body["event"]
        return event

    async def wait_downchannel(self, device: str, *, opened_count: int, within: float) -> None:
        params = {"device": device, "opened_count": str(opened_count)}
        await self._wait("/_mock/downchannel/wait", params, within)

    async def fault(self, fault: dict[str, Any]) -> None:
        await self._ok("POST", "/_mock/faults", json=fault)

    async def responders(self, tables: dict[str, Any]) -> None:
        await self._ok("POST", "/_mock/responders", json=tables)

    async def voice(self, body: dict[str, Any]) -> dict[str, Any]:
        """Script Recognize's answers (``POST /_mock/voice``); the mock's voice state."""
        answer: dict[str, Any] = await self._ok("POST", "/_mock/voice", json=body)
        return answer

    async def voice_state(self) -> dict[str, Any]:
        """``GET /_mock/voice``: queued answers, the default, the answered Recognizes."""
        answer: dict[str, Any] = await self._ok("GET", "/_mock/voice")
        return answer

    async def reset(self) -> None:
        await self._ok("POST", "/_mock/reset")
