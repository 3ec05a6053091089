from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import structlog

from clova_client.mock_cic import FAULTS, FaultError, MockCicServer
from clova_client.protocol.multipart import encode_event

from .h2probe import H2Probe
from .helpers import DownchannelReader, auth, client_for, event, play, post_event


async def ping(client: httpx.AsyncClient, token: str = "token-a") -> int:
    return (await client.get("/ping", headers=auth(token))).status_code


@pytest.mark.parametrize("status", [500, 401, 429])
async def test_fail_next_answers_n_requests_then_recovers(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader, status: int
) -> None:
    server.fail_next(2, status)
    for _ in range(2):
        code, _, _response = await post_event(cic, "token-a", event("A", "B"))
        assert code == status
    assert server.events("dev-a") == []
    assert (await post_event(cic, "token-a", event("A", "B")))[0] == 204
    assert len(server.events("dev-a")) == 1


async def test_fail_next_with_path_prefix_and_retry_after(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.fail_next(1, 429, path_prefix="/v1/directives", retry_after=2)
    assert await ping(cic) == 204  # not under the prefix
    reader = DownchannelReader(cic, "token-a")
    response = await reader.open()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["directive"]["payload"]["code"] == 429
    again = DownchannelReader(cic, "token-a")
    assert (await again.open()).status_code == 200
    await again.close()


async def test_drop_downchannel_abort_cuts_the_connection(
    server: MockCicServer, online: DownchannelReader
) -> None:
    assert server.drop_downchannel("dev-a", abort=True)
    with pytest.raises(httpx.TransportError):
        await online.next_part()
    assert not online.closed_cleanly
    assert not server.connections[0].open


async def test_stalled_event_is_recorded_when_the_client_waits(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.stall_next_event(0.3)
    posting = asyncio.create_task(post_event(cic, "token-a", event("A", "Stalled")))
    await asyncio.sleep(0.1)
    assert not posting.done()
    assert server.events("dev-a") == []
    assert (await posting)[0] == 204
    assert [e.name for e in server.events("dev-a")] == ["A.Stalled"]


async def test_stalled_event_is_dropped_when_the_client_resets_the_stream(
    server: MockCicServer,
) -> None:
    assert server.ca_file is not None
    async with H2Probe(server.host, server.port, server.ca_file) as probe:
        probe.get("/v1/directives", "token-a")
        await server.wait_downchannel("dev-a")
        server.stall_next_event(0.5)
        body, content_type = encode_event(event("A", "Abandoned"))
        stalled = probe.request("POST", "/v1/events", "token-a", body, content_type=content_type)
        async with asyncio.timeout(5):
            while server.faults.stalls:  # noqa: ASYNC110 - the mock's state, polled
                await asyncio.sleep(0.01)
        with structlog.testing.capture_logs() as logs:
            probe.reset(stalled)  # the client gives up on it
            async with asyncio.timeout(5):  # the mock drops it at once, it does not wait
                while not any(e["event"] == "mock_cic.request_abandoned" for e in logs):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        body, content_type = encode_event(event("A", "Next"))
        probe.request("POST", "/v1/events", "token-a", body, content_type=content_type)
        await server.wait_event("dev-a", "A.Next")
    assert [e.name for e in server.events("dev-a")] == ["A.Next"]


async def test_stalled_event_is_still_answered_when_httpx_gives_up(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    """httpx (httpcore 1.0) sends no RST_STREAM when a request is abandoned: the server goes on
    and records the event when the stall ends, as CIC would."""
    server.stall_next_event(0.3)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await post_event(cic, "token-a", event("A", "Abandoned"))
    await server.wait_event("dev-a", "A.Abandoned")


async def test_ignored_pings_hang_until_turned_off(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.ignore_pings(True)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await ping(cic)
    pending = asyncio.create_task(ping(cic))
    await asyncio.sleep(0.05)
    assert not pending.done()
    server.ignore_pings(False)
    assert await pending == 204


async def test_refuse_connections_refuses_the_cic_port_only(
    server: MockCicServer, online: DownchannelReader
) -> None:
    port = server.port
    server.refuse_connections(0.5)
    with pytest.raises(httpx.TransportError):
        await online.next_part()  # the open downchannel is cut mid-stream
    async with client_for(server) as fresh:
        with pytest.raises(httpx.ConnectError):
            await ping(fresh)
        async with httpx.AsyncClient() as plain:  # the control port stays up
            assert (await plain.get(f"{server.control_url}/_mock/devices")).status_code == 200
        async with asyncio.timeout(10):
            while True:
                try:
                    assert await ping(fresh) == 204
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
    assert server.port == port


async def test_restart_keeps_the_port_and_the_record(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    await post_event(cic, "token-a", event("A", "Before"))
    port = server.port
    await server.restart()
    assert server.port == port
    with pytest.raises(httpx.TransportError):
        await online.next_part()  # the downchannel was cut with the old server
    assert [e.name for e in server.events("dev-a")] == ["A.Before"]
    async with client_for(server) as fresh:
        again = DownchannelReader(fresh, "token-a")
        await again.open()
        await server.wait_downchannel("dev-a", opened_count=2)
        await server.push("dev-a", play("after", "http://x/a.mp3"))
        assert await again.next_part() is not None  # Hello
        assert (await again.next_part()) is not None
        await again.close()


async def test_goaway_ends_the_downchannel_then_sends_goaway_and_closes(
    server: MockCicServer,
) -> None:
    async with H2Probe(server.host, server.port, server.ca_file) as probe:  # type: ignore[arg-type]
        stream = probe.get("/v1/directives", "token-a")
        await server.wait_downchannel("dev-a")
        assert server.goaway("dev-a")
        await probe.until("eof")
    kinds = probe.kinds()
    assert kinds[-3:] == [("end", stream), ("goaway", stream), ("eof", 0)], kinds
    assert probe.goaway is not None and probe.goaway.error_code == 0  # NO_ERROR
    data = b"".join(d for kind, _, d in probe.log if kind == "data")
    assert data.endswith(b"--\r\n")  # the multipart body was closed properly
    assert not server.connections[0].open
    assert server.connections[0].going_away


async def test_goaway_waits_for_open_streams_and_refuses_new_ones(
    server: MockCicServer,
) -> None:
    assert server.ca_file is not None
    server.ignore_pings(True)
    async with H2Probe(server.host, server.port, server.ca_file) as probe:
        downchannel = probe.get("/v1/directives", "token-a")
        pending = probe.get("/ping", "token-a")  # held open by ignore_pings
        await server.wait_downchannel("dev-a")
        server.goaway("dev-a", grace=10)
        await probe.until("end")
        late = probe.get("/ping", "token-a")  # after the downchannel ended: refused
        await probe.until("reset")
        assert ("goaway", downchannel) not in probe.kinds()  # the pending ping is still open
        server.ignore_pings(False)
        await probe.until("eof")
    kinds = probe.kinds()
    assert ("reset", late) in kinds
    assert kinds[-4:] == [("headers", pending), ("end", pending), ("goaway", late), ("eof", 0)]


async def test_goaway_through_httpx_looks_like_a_clean_end(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    assert server.fault("goaway", device="dev-a") == {"sent": True}
    assert await online.next_part() is None
    assert online.closed_cleanly
    assert await ping(cic) == 204  # httpx saw the GOAWAY: this one went on a new connection
    assert [c.open for c in server.connections] == [False, True]
    assert not server.goaway("dev-a")  # no downchannel any more


async def test_answer_then_end_downchannel(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.answer_then_end_downchannel("dev-a")
    server.reply_next("dev-a", play("r", "http://x/r.mp3"))
    assert server.faults.to_json()["answer_then_end_downchannel"] == ["dev-a"]
    status, parts, _ = await post_event(cic, "token-a", event("A", "Answered"))
    assert status == 200 and len(parts) == 1  # answered normally...
    assert await online.next_part() is None  # ...then the downchannel ends
    assert online.closed_cleanly
    assert [e.name for e in server.events("dev-a")] == ["A.Answered"]
    assert server.connections[0].open  # the connection stays
    assert server.faults.end_after_answer == set()


async def test_answer_then_end_waits_for_an_accepted_event(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.fault("answer_then_end_downchannel", device="dev-a")
    bad = event("AudioPlayer", "PlayStarted")
    bad["context"] = []
    assert (await post_event(cic, "token-a", bad))[0] == 400
    assert server.device("dev-a").downchannel_open
    assert (await post_event(cic, "token-a", event("A", "Fine")))[0] == 204
    assert await online.next_part() is None


def test_the_fault_table_checks_names_and_parameters(server: MockCicServer) -> None:
    assert {"goaway", "answer_then_end_downchannel", "drop_downchannel", "clear"} <= set(FAULTS)
    with pytest.raises(FaultError, match="unknown fault type 'bogus'"):
        server.fault("bogus")
    with pytest.raises(FaultError, match=r"unknown parameter\(s\) \['sconds'\]"):
        server.fault("stall_next_event", sconds=1)
    with pytest.raises(FaultError, match="seconds is required"):
        server.fault("stall_next_event")
    with pytest.raises(FaultError, match="finite number"):
        server.fault("fail_next", n=float("inf"), status=500)
    with pytest.raises(FaultError, match="device is required"):
        server.fault("expire_token")
    assert server.fault("expire_token", device="dev-b") == {"revoked": 1}


async def test_reset_forgets_events_faults_and_responders(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    await post_event(cic, "token-a", event("A", "B"))
    server.fail_next(5, 500)
    server.expire_token("dev-a")
    server.answer_then_end_downchannel("dev-a")
    server.responders.stream_deliver["x"] = {"url": "u"}
    server.reset()
    assert server.events("dev-a") == []
    assert server.responders.stream_deliver == {}
    assert server.faults.end_after_answer == set()
    assert await ping(cic) == 204


async def test_delay_hello_holds_hello_and_pushes_back_and_412s_events_meanwhile(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.delay_hello("dev-a", 0.3)
    assert server.faults.to_json()["delay_hello"] == {"dev-a": 0.3}
    reader = DownchannelReader(cic, "token-a")
    assert (await reader.open()).status_code == 200  # the response starts at once...
    assert server.faults.hello_delays == {}  # (used up by this channel)
    server.deliver("dev-a", [play("p", "http://x/p.mp3")])  # pushed while Hello is held
    status, _, _ = await post_event(cic, "token-a", event("A", "Early"))
    assert status == 412  # ...but no Hello yet: CIC refuses events on this connection
    assert "before Clova.Hello" in server.device("dev-a").rejected_events[0]["error"]
    first, second = await reader.next_part(), await reader.next_part()
    assert first is not None and second is not None
    names = [json.loads(p.body)["directive"]["header"]["name"] for p in (first, second)]
    assert names == ["Hello", "Play"]  # Hello first, then what waited behind it
    assert (await post_event(cic, "token-a", event("A", "Late")))[0] == 204
    await reader.close()


async def test_a_channel_closed_while_its_hello_is_held_never_writes_it(
    server: MockCicServer, cic: httpx.AsyncClient
) -> None:
    server.fault("delay_hello", device="dev-a", seconds=30)
    reader = DownchannelReader(cic, "token-a")
    assert (await reader.open()).status_code == 200
    assert server.drop_downchannel("dev-a")
    assert await reader.next_part() is None  # ended cleanly with no part at all
    assert server.device("dev-a").downchannel_opens == 0
    with pytest.raises(FaultError, match="must not be negative"):
        server.delay_hello("dev-a", -1)
    server.delay_hello("dev-a", 5)
    server.fault("clear")
    assert server.faults.hello_delays == {}
