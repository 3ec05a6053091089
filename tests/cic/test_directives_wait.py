"""Defect 3 of issue 12: one Play waiting for an attachment blocked every directive after it.
The wait is bounded in seconds, and only url fields can make a directive wait."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from clova_client.cic.directives import (
    ATTACHMENT_WAIT_S,
    DirectiveAssembler,
    attachment_refs,
)
from clova_client.protocol.multipart import Part

JSON = {"content-type": "application/json; charset=UTF-8"}


def part(mid: str, payload: dict[str, Any] | None = None) -> Part:
    header = {"namespace": "AudioPlayer", "name": "Play", "messageId": mid}
    body = {"directive": {"header": header, "payload": payload or {}}}
    return Part(JSON, json.dumps(body).encode())


def play(mid: str, url: str) -> Part:
    return part(mid, {"audioItem": {"audioItemId": "i", "stream": {"url": url, "token": "t"}}})


def attachment(cid: str, data: bytes) -> Part:
    return Part({"content-id": f"<{cid}>", "content-type": "audio/mpeg"}, data)


def mids(ready: Sequence[tuple[bytes, object]]) -> list[str]:
    return [json.loads(r)["directive"]["header"]["messageId"] for r, _ in ready]


def test_a_missing_attachment_holds_the_stream_for_seconds_only() -> None:
    missing: list[list[str]] = []
    a = DirectiveAssembler(lambda raw, ids: missing.append(ids))
    assert a.add(play("play", "cid:never"), now=100.0) == []
    assert a.add(part("after"), now=101.0) == []  # waits behind it, order kept
    assert a.deadline == 100.0 + ATTACHMENT_WAIT_S
    assert a.expire(100.0 + ATTACHMENT_WAIT_S - 0.01) == []
    ready = a.expire(100.0 + ATTACHMENT_WAIT_S)
    assert mids(ready) == ["play", "after"]
    assert dict(ready[0][1]) == {}  # handed on without it: the Play handler fails that one
    assert missing == [["never"]] and a.deadline is None


def test_the_next_part_also_releases_an_expired_wait() -> None:
    a = DirectiveAssembler()
    a.add(play("play", "cid:never"), now=0.0)
    assert mids(a.add(part("late"), now=ATTACHMENT_WAIT_S + 1)) == ["play", "late"]


def test_an_attachment_in_time_is_handed_over_and_the_clock_never_matters() -> None:
    missing: list[list[str]] = []
    a = DirectiveAssembler(lambda raw, ids: missing.append(ids))
    a.add(play("play", "cid:a1"), now=0.0)
    a.add(part("after"), now=1.0)
    ready = a.add(attachment("a1", b"mp3"), now=2.0)
    assert mids(ready) == ["play", "after"] and dict(ready[0][1]) == {"a1": b"mp3"}
    assert a.deadline is None and missing == []


def test_each_held_directive_has_its_own_deadline() -> None:
    a = DirectiveAssembler()
    a.add(play("p1", "cid:x"), now=0.0)
    a.add(play("p2", "cid:y"), now=3.0)
    assert mids(a.expire(ATTACHMENT_WAIT_S)) == ["p1"]
    assert a.deadline == 3.0 + ATTACHMENT_WAIT_S
    assert mids(a.expire(3.0 + ATTACHMENT_WAIT_S)) == ["p2"]


def test_a_cid_mention_outside_a_url_field_holds_nothing() -> None:
    a = DirectiveAssembler()
    lyric = part("lyric", {"title": "cid:abc", "lyrics": ['see "cid:x"'], "urlish": "cid:y"})
    assert mids(a.add(lyric, now=0.0)) == ["lyric"]
    assert a.deadline is None


def test_only_url_fields_name_attachments() -> None:
    body = json.dumps(
        {"a": {"url": "cid:<one>"}, "b": [{"url": "cid:two"}], "c": {"title": "cid:three"}}
    ).encode()
    assert attachment_refs(body) == frozenset({"one", "two"})
    assert attachment_refs(b'{"url": "cid:x"') == frozenset()  # not JSON: the router says so
    assert attachment_refs(b'{"url": "cid:\xff"}') == frozenset()
    assert attachment_refs(b'{"url": "http://x/cid:y"}') == frozenset()


def test_without_a_time_only_the_part_and_end_bounds_apply() -> None:
    a = DirectiveAssembler()
    a.add(play("play", "cid:never"))
    assert a.deadline is None
    assert mids(a.finish()) == ["play"]
