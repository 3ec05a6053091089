"""Real HTTP clients for the mock: a raw downchannel reader and a small fake device."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from clova_client.protocol.audioplayer import merge_stream
from clova_client.protocol.multipart import MultipartParser, Part, encode_event

JsonObject = dict[str, Any]


def auth(token: str, agent: str = "Test/Device/1.0 (Linux;x86)") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": agent}


def event(namespace: str, name: str, payload: JsonObject | None = None, **extra: Any) -> JsonObject:
    header = {"namespace": namespace, "name": name, "messageId": extra.pop("message_id", "m-1")}
    header.update(extra)
    return {"context": [], "event": {"header": header, "payload": payload or {}}}


def play(item_id: str, url: str, *, token: str | None = None, playable: bool = True) -> JsonObject:
    stream: JsonObject = {"url": url, "urlPlayable": playable, "beginAtInMilliseconds": 0}
    if token:
        stream["token"] = token
    return {
        "directive": {
            "header": {"namespace": "AudioPlayer", "name": "Play", "messageId": f"play-{item_id}"},
            "payload": {
                "audioItem": {"audioItemId": item_id, "stream": stream},
                "playBehavior": "REPLACE_ALL",
            },
        }
    }


def name_of(part: Part) -> str:
    header = part.json()["directive"]["header"]
    return f"{header['namespace']}.{header['name']}"


async def post_event(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str,
    message: JsonObject,
    audio: bytes | None = None,
) -> tuple[int, list[Part], aiohttp.ClientResponse]:
    """POST /v1/events; the status and, for a 200, the directive parts of the answer."""
    body, content_type = encode_event(message, audio)
    headers = {**auth(token), "Content-Type": content_type}
    async with session.post(f"{base_url}/v1/events", data=body, headers=headers) as response:
        raw = await response.read()
        parts: list[Part] = []
        if response.status == 200:
            parts = MultipartParser.from_content_type(response.headers["Content-Type"]).feed(raw)
        return response.status, parts, response


class DownchannelReader:
    """Opens ``GET /v1/directives`` and hands out parts as they arrive."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.session = session
        self.url = f"{base_url}/v1/directives"
        self.token = token
        self.response: aiohttp.ClientResponse | None = None
        self._parser: MultipartParser | None = None
        self._ready: list[Part] = []

    async def open(self) -> aiohttp.ClientResponse:
        self.response = await self.session.get(self.url, headers=auth(self.token))
        if self.response.status == 200:
            self._parser = MultipartParser.from_content_type(self.response.headers["Content-Type"])
        return self.response

    async def next_part(self, within: float = 5) -> Part | None:
        """The next part; None when the stream ended cleanly."""
        assert self.response is not None and self._parser is not None
        async with asyncio.timeout(within):
            while not self._ready:
                chunk = await self.response.content.readany()
                if not chunk:
                    return None
                self._ready += self._parser.feed(chunk)
        return self._ready.pop(0)

    @property
    def closed_cleanly(self) -> bool:
        return self._parser is not None and self._parser.closed

    def close(self) -> None:
        if self.response is not None:
            self.response.close()


class FakeDevice:
    """Just enough of a client for scenario tests: plays, pauses, reports state."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.stream: JsonObject | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.errors: list[BaseException] = []

    async def __aenter__(self) -> FakeDevice:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None and self._session is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._session.close()

    async def _run(self) -> None:
        assert self._session is not None
        while True:  # reconnect like a client would
            reader = DownchannelReader(self._session, self.base_url, self.token)
            try:
                response = await reader.open()
                if response.status != 200:
                    await asyncio.sleep(0.1)
                    continue
                while (part := await reader.next_part(within=3600)) is not None:
                    await self._handle(part.json())
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
            finally:
                reader.close()

    def _context(self, activity: str) -> list[JsonObject]:
        payload: JsonObject = {"playerActivity": activity, "offsetInMilliseconds": 0}
        if self.stream is not None:
            payload["stream"] = self.stream
        header = {"namespace": "AudioPlayer", "name": "PlaybackState"}
        return [{"header": header, "payload": payload}]

    async def send(
        self, namespace: str, name: str, payload: JsonObject, activity: str
    ) -> list[Part]:
        assert self._session is not None
        message = event(namespace, name, payload, message_id=f"{name}-{id(payload)}")
        message["context"] = self._context(activity)
        _, parts, _ = await post_event(self._session, self.base_url, self.token, message)
        return parts

    async def _handle(self, message: JsonObject) -> None:
        header = message["directive"]["header"]
        payload = message["directive"]["payload"]
        name = f"{header['namespace']}.{header['name']}"
        if name == "AudioPlayer.Play":
            item = payload["audioItem"]
            self.stream = dict(item["stream"])
            if item["stream"].get("urlPlayable") is False:
                request = {"audioItemId": item["audioItemId"], "audioStream": item["stream"]}
                parts = await self.send("AudioPlayer", "StreamRequested", request, "IDLE")
                for part in parts:
                    deliver = part.json()["directive"]
                    if deliver["header"]["name"] == "StreamDeliver":
                        self.stream = merge_stream(self.stream, deliver["payload"]["stream"])
            await self.send("AudioPlayer", "PlayStarted", {}, "PLAYING")
        elif name == "PlaybackController.Pause":
            await self.send("AudioPlayer", "PlayPaused", {}, "PAUSED")
        elif name == "PlaybackController.Stop":
            await self.send("AudioPlayer", "PlayStopped", {}, "STOPPED")
