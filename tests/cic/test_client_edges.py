"""Client behaviour the mock server cannot provoke, with httpx.MockTransport at the edge."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from clova_client.cic.state import ConnectionState as S
from clova_client.clock import ManualClock
from clova_client.mock_cic import MockCicServer
from clova_client.protocol import make_event
from clova_client.protocol.multipart import MultipartParser, encode_directive_part

from .helpers import DEVICE, HarnessFactory, audio_event, until

BOUNDARY = "edge"
HELLO = {"directive": {"header": {"namespace": "Clova", "name": "Hello", "messageId": "h"}}}


@dataclass
class FakeCic:
    """The transport edge: answers like CIC, holding downchannels open until closed."""

    hello: bool = True
    before_hello: list[dict[str, object]] = field(default_factory=list)
    event_statuses: list[int] = field(default_factory=list)
    downchannels: int = 0
    events: list[str] = field(default_factory=list)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/directives":
            self.downchannels += 1
            ctype = f"multipart/related; boundary={BOUNDARY}"
            return httpx.Response(200, headers={"content-type": ctype}, content=self._stream())
        body = await request.aread()
        (part,) = MultipartParser.from_content_type(request.headers["content-type"]).feed(body)
        status = self.event_statuses.pop(0) if self.event_statuses else 204
        if status == 204:
            self.events.append(json.loads(part.body)["event"]["header"]["messageId"])
        return httpx.Response(status)

    async def _stream(self) -> AsyncIterator[bytes]:
        for i, junk in enumerate(self.before_hello):
            yield encode_directive_part(junk, BOUNDARY, first=i == 0)
        if self.hello:
            yield encode_directive_part(HELLO, BOUNDARY, first=not self.before_hello)
        await asyncio.Event().wait()


async def test_412_means_reconnect_then_the_event_goes_out(make_harness: HarnessFactory) -> None:
    fake = FakeCic(event_statuses=[412])
    h = make_harness(
        "http://cic.invalid", transport_factory=lambda: httpx.MockTransport(fake.handler)
    )
    await h.connected()
    event = make_event("AudioPlayer", "PlayStarted", {"token": "t"})
    await h.client.delivery.store(event)
    await until(lambda: fake.events == [event.message_id])
    assert fake.downchannels == 2
    assert (S.CONNECTED, S.BACKING_OFF) in h.states


async def test_malformed_part_before_hello_is_skipped_not_fatal(
    make_harness: HarnessFactory,
) -> None:
    # Parts that mention Hello but have no usable header: an invalid directive, then Hello.
    junk: list[dict[str, object]] = [
        {"directive": {"header": "Clova.Hello"}},
        {"directive": {"header": ["Hello"]}},
    ]
    fake = FakeCic(before_hello=junk)
    h = make_harness(
        "http://cic.invalid", transport_factory=lambda: httpx.MockTransport(fake.handler)
    )
    await h.connected()
    assert fake.downchannels == 1
    assert h.task is not None and not h.task.done()


async def test_no_hello_within_timeout_reconnects(make_harness: HarnessFactory) -> None:
    clock = ManualClock()
    fake = FakeCic(hello=False)
    h = make_harness(
        "http://cic.invalid",
        clock=clock,
        hello_timeout_s=10,
        transport_factory=lambda: httpx.MockTransport(fake.handler),
    )
    await until(lambda: fake.downchannels == 1)
    clock.advance(9.9)
    await asyncio.sleep(0.05)
    assert h.client.state is S.CONNECTING
    clock.advance(0.1)
    await until(lambda: h.client.state is S.BACKING_OFF)
    fake.hello = True
    clock.advance(1)
    await h.connected()


async def test_expiring_token_is_refreshed_before_connecting(
    mock: MockCicServer, make_harness: HarnessFactory, tmp_path: Path
) -> None:
    path = tmp_path / "token-exp.json"
    path.write_text(
        json.dumps(
            {
                "access_token": "old",
                "refresh_token": "rt-5ecret-0001",
                "expires_at": time.time() + 5,
            }
        )
    )
    path.chmod(0o600)
    h = make_harness(mock, name="exp")
    await h.connected()
    assert mock.device(DEVICE).token_refreshes == 1
    assert json.loads(path.read_text())["access_token"] == h.store.access_token != "old"


async def test_flush_waits_for_delivery_and_reports_leftovers(
    mock: MockCicServer, make_harness: HarnessFactory
) -> None:
    h = make_harness(mock)
    await h.connected()
    for i in range(5):
        await h.client.delivery.store(audio_event("PlayStarted", {"token": f"t{i}"}))
    assert await h.client.delivery.flush(10) == 0
    assert len(mock.events(DEVICE)) == 5
    await mock.stop()
    await until(lambda: h.client.state is not S.CONNECTED)
    await h.client.delivery.store(audio_event("PlayStopped", {"token": "x"}))
    assert await h.client.delivery.flush(0.2) == 1


async def test_an_unexpected_error_reconnects_instead_of_ending_the_client(
    make_harness: HarnessFactory,
) -> None:
    fake = FakeCic()
    calls = {"n": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug somewhere below the client")
        return await fake.handler(request)

    h = make_harness("http://cic.invalid", transport_factory=lambda: httpx.MockTransport(handler))
    await h.connected()
    assert calls["n"] >= 2
    assert h.task is not None and not h.task.done()
