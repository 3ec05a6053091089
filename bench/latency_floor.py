"""The start-of-sound floor of the daemon's stack: the latency baseline of bench/daemon.py.

    PYTHON bench/latency_floor.py BASE_URL CA_FILE ACCESS_TOKEN VLC_ARG...

Run by bench/daemon.py with the installed speaker's Python, against the same mock, after the
daemon has stopped (one connection per device). It does, with the stack alone and none of this
project's code, the least a speaker must do between a pushed Play and CIC's PlayStarted:

* keeps the downchannel (``GET /v1/directives``) open over httpx with HTTP/2 and TLS, and reads
  each directive out of its multipart body with ``json.loads``;
* on ``AudioPlayer.Play`` opens the stream on a fresh libVLC player, ``:start-paused``, with the
  daemon's arguments and the same output (a memory sink paced to real time); queues PlayStopped
  for the item it replaces and stops that player on a thread;
* unpauses once paused and buffered (the daemon's pre-roll: the first TimeChanged then comes at
  once); at the first TimeChanged queues PlayStarted;
* POSTs its events one at a time, in order, each with the ``AudioPlayer.PlaybackState`` context.

No outbox, no logs, no engine, no validation: what is left is libVLC, httpx/h2 and the loop.
Prints ``ready`` once the downchannel's Clova.Hello has arrived; runs until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import threading
import time
import uuid
from typing import Any

import httpx
import vlc

RATE, CHANNELS = 44100, 2  # the daemon's null output: S16N, 44.1 kHz, stereo


class Source:
    """One Play on its own libVLC player; events reach the loop through ``on_event``."""

    def __init__(self, instance: Any, stream: dict[str, Any], loop: asyncio.AbstractEventLoop):
        self.stream = stream
        self.loop = loop
        self.time_ms = 0
        self.paused = self.buffered = self.started = False
        self.on_started: Any = None
        self.player = instance.media_player_new()
        self.media = instance.media_new_location(stream["url"])
        self.media.add_option(":start-paused")
        self.frames, self.t0 = 0, 0.0
        callbacks = vlc.CallbackDecorators
        self.keep = [callbacks.AudioPlayCb(self._pcm)]
        self.player.audio_set_callbacks(self.keep[0], None, None, None, None, None)
        self.player.audio_set_format("S16N", RATE, CHANNELS)
        self.player.set_media(self.media)
        manager = self.player.event_manager()
        manager.event_attach(vlc.EventType.MediaPlayerPaused, self._post, "paused")
        manager.event_attach(vlc.EventType.MediaPlayerBuffering, self._buffering)
        manager.event_attach(vlc.EventType.MediaPlayerTimeChanged, self._time)
        self.player.play()

    def _pcm(self, _opaque: Any, _samples: Any, count: int, _pts: int) -> None:
        now = time.monotonic()
        if not self.frames:
            self.t0 = now
        self.frames += count
        delay = self.t0 + self.frames / RATE - now
        if delay > 0:
            time.sleep(delay)

    def _post(self, _event: Any, what: str, value: int = 0) -> None:
        self.loop.call_soon_threadsafe(self.on_event, what, value)

    def _buffering(self, event: Any) -> None:
        if event.u.new_cache >= 100.0:
            self._post(event, "buffered")

    def _time(self, event: Any) -> None:
        self._post(event, "time", int(event.u.new_time))

    def on_event(self, what: str, value: int) -> None:
        if what == "paused":
            self.paused = True
        elif what == "buffered":
            self.buffered = True
        elif what == "time":
            self.time_ms = value
            if not self.started:
                self.started = True
                self.on_started(self)
        if self.paused and self.buffered and not self.started:
            self.paused = False
            self.player.set_pause(0)

    def stop(self) -> None:
        """Worker thread."""
        self.player.stop()
        self.player.release()
        self.media.release()


class Floor:
    def __init__(self, client: httpx.AsyncClient, auth: dict[str, str], args: list[str]):
        self.client = client
        self.auth = auth
        self.instance = vlc.Instance(args)
        self.current: Source | None = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ready = asyncio.Event()

    def event(self, name: str, source: Source, activity: str) -> None:
        state = {
            "offsetInMilliseconds": source.time_ms,
            "totalInMilliseconds": int(source.player.get_length()),
            "playerActivity": activity,
            "stream": source.stream,
            "repeatMode": "NONE",
        }
        header = {"namespace": "AudioPlayer", "name": name, "messageId": str(uuid.uuid4())}
        payload = {"token": source.stream["token"], "offsetInMilliseconds": source.time_ms}
        state_header = {"namespace": "AudioPlayer", "name": "PlaybackState"}
        context = {"header": state_header, "payload": state}
        self.events.put_nowait(
            {"context": [context], "event": {"header": header, "payload": payload}}
        )

    def play(self, payload: dict[str, Any]) -> None:
        old, self.current = self.current, None
        new = Source(self.instance, payload["audioItem"]["stream"], asyncio.get_running_loop())
        new.on_started = lambda source: self.event("PlayStarted", source, "PLAYING")
        self.current = new
        if old is not None:
            self.event("PlayStopped", old, "STOPPED")
            asyncio.get_running_loop().run_in_executor(None, old.stop)

    async def downchannel(self) -> None:
        async with self.client.stream(
            "GET", "/v1/directives", headers=self.auth, timeout=httpx.Timeout(10, read=None)
        ) as response:
            if response.status_code != 200:
                body = await response.aread()
                raise RuntimeError(f"downchannel {response.status_code}: {body!r}")
            boundary = response.headers["content-type"].split("boundary=")[1].strip('"')
            delimiter = b"--" + boundary.encode()
            buffer = b""
            async for chunk in response.aiter_bytes():
                buffer += chunk
                *parts, buffer = buffer.split(delimiter)
                buffer = delimiter + buffer if parts else buffer
                for part in parts:
                    head, _, body = part.partition(b"\r\n\r\n")
                    if b"application/json" in head.lower():
                        self.directive(json.loads(body))

    def directive(self, message: dict[str, Any]) -> None:
        header = message["directive"]["header"]
        name = f"{header['namespace']}.{header['name']}"
        if name == "Clova.Hello":
            self.ready.set()
        elif name == "AudioPlayer.Play":
            self.play(message["directive"]["payload"])
        elif name == "PlaybackController.Stop" and self.current is not None:
            old, self.current = self.current, None
            self.event("PlayStopped", old, "STOPPED")
            asyncio.get_running_loop().run_in_executor(None, old.stop)

    async def send(self) -> None:
        while True:
            event = await self.events.get()
            boundary = uuid.uuid4().hex
            body = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n'
                f"Content-Type: application/json; charset=UTF-8\r\n\r\n{json.dumps(event)}"
                f"\r\n--{boundary}--\r\n"
            ).encode()
            headers = {**self.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
            response = await self.client.post("/v1/events", content=body, headers=headers)
            if response.status_code >= 300:
                print(f"event refused: {response.status_code} {response.text}", flush=True)


async def main() -> None:
    base_url, ca_file, token, *args = sys.argv[1:]
    stdin_closed = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stdin_closed.set)),
        daemon=True,
    ).start()
    verify = ssl.create_default_context(cafile=ca_file)
    agent = {"User-Agent": "Bench/LatencyFloor/1.0.0 (Linux 6.1;x86_64;bench=floor)"}
    async with httpx.AsyncClient(
        base_url=base_url, http2=True, verify=verify, headers=agent
    ) as client:
        floor = Floor(client, {"Authorization": f"Bearer {token}"}, args)
        tasks = [asyncio.create_task(floor.downchannel()), asyncio.create_task(floor.send())]
        ready = asyncio.create_task(floor.ready.wait())
        await asyncio.wait([ready, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            for task in tasks:
                if task.done():
                    task.result()  # the reason it ended
        print("ready", flush=True)
        closed = asyncio.create_task(stdin_closed.wait())
        await asyncio.wait([closed, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                task.result()
            task.cancel()
        if floor.current is not None:
            floor.current.stop()


if __name__ == "__main__":
    asyncio.run(main())
