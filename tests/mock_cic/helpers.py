"""Real HTTP/2 clients for the mock: a raw downchannel reader and a small fake device."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from clova_client.mock_cic import MockCicServer
from clova_client.protocol.audioplayer import merge_stream
from clova_client.protocol.multipart import MultipartParser, Part, encode_event

JsonObject = dict[str, Any]
UA = "Test/Device/1.0.0 (Linux 6.1;x86)"


def auth(token: str, agent: str = UA) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": agent}


def playback_state(activity: str = "IDLE", stream: JsonObject | None = None) -> JsonObject:
    payload: JsonObject = {"playerActivity": activity, "offsetInMilliseconds": 0}
    if stream is not None:
        payload["stream"] = stream
    return {"header": {"namespace": "AudioPlayer", "name": "PlaybackState"}, "payload": payload}


def event(namespace: str, name: str, payload: JsonObject | None = None, **extra: Any) -> JsonObject:
    """An event message; an AudioPlayer one carries the PlaybackState context CIC requires."""
    header = {"namespace": namespace, "name": name, "messageId": extra.pop("message_id", "m-1")}
    header.update(extra)
    context = [playback_state()] if namespace == "AudioPlayer" else []
    return {"context": context, "event": {"header": header, "payload": payload or {}}}


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


def client_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def h2_client(
    base_url: str, ca_file: Path | None = None, *, http1: bool = False
) -> httpx.AsyncClient:
    """One HTTP/2 connection to the CIC port (TLS when ``ca_file`` is given, else h2c)."""
    verify: ssl.SSLContext | bool = client_context(ca_file) if ca_file is not None else True
    return httpx.AsyncClient(
        base_url=base_url,
        http1=http1,
        http2=not http1,
        verify=verify,
        timeout=httpx.Timeout(10, read=None),
        trust_env=False,
    )


def client_for(mock: MockCicServer) -> httpx.AsyncClient:
    return h2_client(mock.base_url, mock.ca_file)


async def post_event(
    client: httpx.AsyncClient,
    token: str,
    message: JsonObject,
    audio: bytes | None = None,
    *,
    agent: str = UA,
) -> tuple[int, list[Part], httpx.Response]:
    """POST /v1/events; the status and, for a 200, the directive parts of the answer."""
    body, content_type = encode_event(message, audio)
    headers = {**auth(token, agent), "Content-Type": content_type}
    response = await client.post("/v1/events", content=body, headers=headers)
    parts: list[Part] = []
    if response.status_code == 200:
        parser = MultipartParser.from_content_type(response.headers["Content-Type"])
        parts = parser.feed(response.content)
    return response.status_code, parts, response


class DownchannelReader:
    """Opens ``GET /v1/directives`` on a client and hands out parts as they arrive."""

    def __init__(self, client: httpx.AsyncClient, token: str, agent: str = UA) -> None:
        self.client = client
        self.headers = auth(token, agent)
        self.response: httpx.Response | None = None
        self._parser: MultipartParser | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._ready: list[Part] = []

    async def open(self) -> httpx.Response:
        request = self.client.build_request("GET", "/v1/directives", headers=self.headers)
        self.response = await self.client.send(request, stream=True)
        if self.response.status_code == 200:
            self._parser = MultipartParser.from_content_type(self.response.headers["Content-Type"])
            self._chunks = self.response.aiter_raw()
        else:
            await self.response.aread()
        return self.response

    async def next_part(self, within: float = 5) -> Part | None:
        """The next part; None when the stream ended cleanly (httpx errors when it was cut)."""
        assert self._chunks is not None and self._parser is not None
        async with asyncio.timeout(within):
            while not self._ready:
                chunk = await anext(self._chunks, b"")
                if not chunk:
                    return None
                self._ready += self._parser.feed(chunk)
        return self._ready.pop(0)

    @property
    def closed_cleanly(self) -> bool:
        return self._parser is not None and self._parser.closed

    async def close(self) -> None:
        if self.response is not None:
            await self.response.aclose()


class FakeDevice:
    """Just enough of a client for scenario tests, on one HTTP/2 connection: plays, pauses,
    reports state, reconnects."""

    def __init__(self, base_url: str, token: str, ca_file: Path | None) -> None:
        self.base_url = base_url
        self.ca_file = ca_file
        self.token = token
        self.stream: JsonObject | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def of(cls, mock: MockCicServer, token: str = "test-token") -> FakeDevice:
        return cls(mock.base_url, token, mock.ca_file)

    async def __aenter__(self) -> FakeDevice:
        self._client = h2_client(self.base_url, self.ca_file)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None and self._client is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._client.aclose()

    async def _run(self) -> None:
        assert self._client is not None
        while True:  # reconnect like a client would
            reader = DownchannelReader(self._client, self.token)
            try:
                response = await reader.open()
                if response.status_code != 200:
                    await asyncio.sleep(0.1)
                    continue
                while (part := await reader.next_part(within=3600)) is not None:
                    await self._handle(part.json())
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
            finally:
                await reader.close()

    async def send(
        self, namespace: str, name: str, payload: JsonObject, activity: str
    ) -> list[Part]:
        assert self._client is not None
        message = event(namespace, name, payload, message_id=f"{name}-{id(payload)}")
        message["context"] = [playback_state(activity, self.stream)]
        _, parts, _ = await post_event(self._client, self.token, message)
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
