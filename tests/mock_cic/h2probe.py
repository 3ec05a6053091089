"""A raw HTTP/2 client (the h2 library over TLS) that records every frame-level event, for
tests that check what goes over the wire (END_STREAM, GOAWAY, EOF) and in which order."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import h2.config
import h2.connection
import h2.events

from .helpers import UA


class H2Probe:
    """One TLS connection with ALPN h2; ``log`` is the ordered list of what happened."""

    def __init__(self, host: str, port: int, ca_file: Path) -> None:
        self.host, self.port, self.ca_file = host, port, ca_file
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.log: list[tuple[str, int, bytes]] = []
        """(kind, stream id, data): kind is headers, data, end, reset, goaway or eof."""
        self.goaway: h2.events.ConnectionTerminated | None = None
        self._changed = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> H2Probe:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.set_alpn_protocols(["h2"])
        reader, self._writer = await asyncio.open_connection(self.host, self.port, ssl=context)
        self.h2.initiate_connection()
        self._flush()
        self._pump = asyncio.create_task(self._read(reader))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._pump is not None and self._writer is not None
        self._pump.cancel()
        await asyncio.gather(self._pump, return_exceptions=True)
        self._writer.close()

    def _flush(self) -> None:
        assert self._writer is not None
        self._writer.write(self.h2.data_to_send())

    def request(self, method: str, path: str, token: str, body: bytes = b"", **headers: str) -> int:
        """Send a request; its stream id."""
        stream_id = self.h2.get_next_available_stream_id()
        fields = [
            (":method", method),
            (":path", path),
            (":scheme", "https"),
            (":authority", f"{self.host}:{self.port}"),
            ("authorization", f"Bearer {token}"),
            ("user-agent", UA),
            *((name.replace("_", "-"), value) for name, value in headers.items()),
        ]
        self.h2.send_headers(stream_id, fields, end_stream=not body)
        if body:
            self.h2.send_data(stream_id, body, end_stream=True)
        self._flush()
        return stream_id

    def get(self, path: str, token: str) -> int:
        return self.request("GET", path, token)

    def reset(self, stream_id: int) -> None:
        """RST_STREAM(CANCEL): what a client sends when it gives up on a request."""
        self.h2.reset_stream(stream_id, error_code=8)
        self._flush()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            for event in self.h2.receive_data(data):
                self._note(event)
            self._flush()
            self._changed.set()
        self.log.append(("eof", 0, b""))
        self._changed.set()

    def _note(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.ResponseReceived):
            self.log.append(("headers", event.stream_id, dict(event.headers)[b":status"]))
        elif isinstance(event, h2.events.DataReceived):
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if event.data:
                self.log.append(("data", event.stream_id, event.data))
        elif isinstance(event, h2.events.StreamEnded):
            self.log.append(("end", event.stream_id, b""))
        elif isinstance(event, h2.events.StreamReset):
            self.log.append(("reset", event.stream_id, b""))
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event
            self.log.append(("goaway", event.last_stream_id or 0, b""))

    def kinds(self) -> list[tuple[str, int]]:
        return [(kind, stream) for kind, stream, _ in self.log]

    async def until(self, kind: str, within: float = 5) -> None:
        async with asyncio.timeout(within):
            while not any(k == kind for k, _, _ in self.log):
                self._changed.clear()
                await self._changed.wait()
