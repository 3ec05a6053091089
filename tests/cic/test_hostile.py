"""Regressions from a fuzzing CIC peer (issue 12), end to end through the real client over h2c:
each test names the defect it pins down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, MutableMapping
from typing import Any

import pytest

from bench.fuzz_peer import BOUNDARY, HostilePeer, serving
from clova_client.cic.directives import ATTACHMENT_WAIT_S
from clova_client.clock import ManualClock
from clova_client.protocol import Directive, make_event
from clova_client.protocol.multipart import encode_directive_part

from .helpers import Harness, HarnessFactory, until

Logs = list[MutableMapping[str, Any]]


def directive(namespace: str, name: str, mid: str, payload: dict[str, Any]) -> dict[str, Any]:
    header = {"namespace": namespace, "name": name, "messageId": mid}
    return {"directive": {"header": header, "payload": payload}}


def ping(mid: str) -> bytes:
    return encode_directive_part(directive("Test", "Ping", mid, {}), BOUNDARY)


def mids(h: Harness) -> list[str]:
    return [d.header.message_id for d in h.seen]


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, HostilePeer]]:
    app = HostilePeer()
    async with serving(app) as base_url:
        yield base_url, app


async def connect(make_harness: HarnessFactory, base_url: str, clock: ManualClock) -> Harness:
    h = make_harness(base_url, clock=clock, http2_prior_knowledge=True, reopen_at_once_after_s=0)
    await h.connected()
    return h


async def test_defect4_close_delimiter_mid_downchannel_reopens_it(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory
) -> None:
    base_url, app = peer
    h = await connect(make_harness, base_url, ManualClock())
    first = app.channel
    first.push(b"--\r\n" + encode_directive_part(directive("Test", "Ping", "ignored", {}), "x"))
    first.push(ping("after-close"))  # the server keeps the response open: still ignored
    assert await app.wait_for(lambda: len(app.channels) == 2, 10)
    app.channel.push(ping("on-the-new-channel"))
    await until(lambda: mids(h) == ["on-the-new-channel"])


async def test_defect3_a_missing_attachment_holds_the_directives_behind_it_for_seconds_only(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory, log_events: Logs
) -> None:
    base_url, app = peer
    clock = ManualClock()
    h = await connect(make_harness, base_url, clock)
    got: list[tuple[str, Mapping[str, bytes]]] = []

    async def play(d: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        got.append((d.header.message_id, attachments))
        h.seen.append(d)

    h.router.register("AudioPlayer", "Play", play)
    await until(lambda: clock.pending == 1)  # the keep-alive ping's sleep
    stream = {"url": "cid:never-sent", "token": "t"}
    item = {"audioItemId": "i", "stream": stream}
    body = directive(
        "AudioPlayer", "Play", "play", {"audioItem": item, "playBehavior": "REPLACE_ALL"}
    )
    app.channel.push(encode_directive_part(body, BOUNDARY) + ping("behind"))
    await until(lambda: clock.pending == 2)  # ... and the held Play's deadline
    assert h.seen == []
    clock.advance(ATTACHMENT_WAIT_S)
    await until(lambda: mids(h) == ["play", "behind"])
    assert got == [("play", {})]  # handed on without it: the Play handler fails that one only
    missing = [e for e in log_events if e["event"] == "cic.attachment_missing"]
    assert [e["content_ids"] for e in missing] == [["never-sent"]]


async def test_defect3_cid_in_a_text_field_holds_nothing(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory
) -> None:
    base_url, app = peer
    h = await connect(make_harness, base_url, ManualClock())
    body = directive("Test", "Ping", "lyric", {"title": "cid:abc", "text": '"cid:x"'})
    app.channel.push(encode_directive_part(body, BOUNDARY) + ping("next"))
    await until(lambda: mids(h) == ["lyric", "next"])


async def test_defect1_lone_surrogate_is_skipped_and_an_event_holding_one_still_goes_out(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory, log_events: Logs
) -> None:
    base_url, app = peer
    h = await connect(make_harness, base_url, ManualClock())
    stop = directive("MediaPlayer", "Stop", "surrogate", {"playServiceId": "\ud800", "token": "t"})
    raw = encode_directive_part(directive("Test", "Ping", "raw", {"token": "RAW"}), BOUNDARY)
    app.channel.push(encode_directive_part(stop, BOUNDARY) + raw.replace(b"RAW", b"\xed\xa0\x80"))
    app.channel.push(ping("next"))
    await until(lambda: mids(h) == ["next"])
    invalid = [e for e in log_events if e["event"] == "directive_invalid"]
    assert [e["message_id"] for e in invalid] == ["surrogate", "raw"]
    assert "lone surrogate" in invalid[0]["errors"][0]
    assert invalid[1]["errors"][0].startswith("not UTF-8 text")
    # An event holding one (from anywhere else) is sent, not stuck at the head of the outbox.
    await h.client.delivery.store(make_event("MediaPlayer", "StopSucceeded", {"token": "\udcff"}))
    await h.client.delivery.store(make_event("MediaPlayer", "StopSucceeded", {"token": "after"}))
    assert await app.wait_for(lambda: len(app.events) == 2, 10)
    assert [e.payload["token"] for e in app.events] == ["\udcff", "after"]
    assert await h.client.delivery.flush(10) == 0
    assert not [e for e in log_events if e["event"] == "event_dropped"]


async def test_defect2_a_huge_integer_is_one_invalid_directive_with_its_field(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory, log_events: Logs
) -> None:
    base_url, app = peer
    h = await connect(make_harness, base_url, ManualClock())
    text = json.dumps(directive("Test", "Ping", "huge", {"n": 0}))
    app.channel.push(_part(text.replace('"n": 0', '"n": ' + "9" * 5000)) + ping("next"))
    await until(lambda: mids(h) == ["next"])
    (invalid,) = [e for e in log_events if e["event"] == "directive_invalid"]
    assert invalid["errors"] == ["directive.payload.n: integer of 5000 digits is too long to read"]


def _part(text: str) -> bytes:
    """A directive part from raw JSON text (one json.loads could not even read)."""
    headers = b"\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
    return headers + text.encode() + b"\r\n--" + BOUNDARY.encode()


async def test_defect3_an_event_answer_releases_a_play_missing_its_attachment_when_it_ends(
    peer: tuple[str, HostilePeer], make_harness: HarnessFactory
) -> None:
    base_url, app = peer
    h = await connect(make_harness, base_url, ManualClock())
    item = {"audioItemId": "i", "stream": {"url": "cid:gone", "token": "t"}}
    play = directive("AudioPlayer", "Play", "play", {"audioItem": item, "playBehavior": "ENQUEUE"})
    app.replies.append(encode_directive_part(play, BOUNDARY, first=True) + ping("then") + b"--\r\n")
    await h.client.delivery.store(make_event("AudioPlayer", "PlayStarted", {}))
    await until(lambda: mids(h) == ["play", "then"])  # the clock never moved: no 5 s wait
