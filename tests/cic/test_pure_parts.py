"""Directive assembly (cid attachments, order), the checked connection state machine and the
downchannel gate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from clova_client.cic.directives import MAX_HOLD_PARTS, DirectiveAssembler
from clova_client.cic.gate import DownchannelGate, is_hello
from clova_client.cic.state import ConnectionState as S
from clova_client.cic.state import InvalidTransition, StateMachine
from clova_client.protocol.multipart import Part

JSON = {"content-type": "application/json; charset=UTF-8"}


def directive_part(mid: str, url: str | None = None) -> Part:
    payload = {"url": url} if url else {}
    body = {
        "directive": {
            "header": {"namespace": "N", "name": "X", "messageId": mid},
            "payload": payload,
        }
    }
    return Part(JSON, json.dumps(body).encode())


def attachment(cid: str, data: bytes) -> Part:
    return Part({"content-id": f"<{cid}>", "content-type": "application/octet-stream"}, data)


def mids(ready: Sequence[tuple[bytes, object]]) -> list[str]:
    return [json.loads(r)["directive"]["header"]["messageId"] for r, _ in ready]


def test_plain_directives_are_released_at_once() -> None:
    a = DirectiveAssembler()
    assert mids(a.add(directive_part("1"))) == ["1"]
    assert mids(a.add(directive_part("2"))) == ["2"]


def test_directive_waits_for_its_attachment_and_keeps_order() -> None:
    a = DirectiveAssembler()
    assert a.add(directive_part("speak", "cid:a1")) == []
    assert a.add(directive_part("after")) == []  # waits behind it
    ready = a.add(attachment("a1", b"mp3"))
    assert mids(ready) == ["speak", "after"]
    assert dict(ready[0][1]) == {"a1": b"mp3"} and dict(ready[1][1]) == {}


def test_attachment_before_directive() -> None:
    a = DirectiveAssembler()
    assert a.add(attachment("a1", b"mp3")) == []
    ready = a.add(directive_part("speak", "cid:a1"))
    assert mids(ready) == ["speak"] and dict(ready[0][1]) == {"a1": b"mp3"}


def test_missing_attachment_cannot_stall_the_stream() -> None:
    a = DirectiveAssembler()
    a.add(directive_part("speak", "cid:never"))
    released: list[str] = []
    for i in range(MAX_HOLD_PARTS):
        released += mids(a.add(directive_part(str(i))))
    assert released[:1] == ["speak"] and len(released) == MAX_HOLD_PARTS + 1


def test_finish_releases_held() -> None:
    a = DirectiveAssembler()
    a.add(directive_part("speak", "cid:never"))
    assert mids(a.finish()) == ["speak"]


async def test_state_transitions_checked_and_listened() -> None:
    sm = StateMachine()
    seen: list[tuple[S, S]] = []
    unsubscribe = sm.add_listener(lambda old, new: seen.append((old, new)))
    with pytest.raises(InvalidTransition, match="disconnected -> connected"):
        sm.transition(S.CONNECTED, "no")
    waiter = asyncio.create_task(sm.wait_for(S.CONNECTED))
    await asyncio.sleep(0)
    sm.transition(S.CONNECTING, "start")
    sm.transition(S.CONNECTED, "hello")
    sm.transition(S.BACKING_OFF, "lost")  # CONNECTED held only briefly: the waiter still saw it
    assert await waiter is S.CONNECTED
    unsubscribe()
    sm.transition(S.CONNECTING, "retry")
    assert seen == [
        (S.DISCONNECTED, S.CONNECTING),
        (S.CONNECTING, S.CONNECTED),
        (S.CONNECTED, S.BACKING_OFF),
    ]
    sm.transition(S.DISCONNECTED, "stopped")
    with pytest.raises(InvalidTransition):
        sm.transition(S.AUTH_FAILED, "not from disconnected")
    with pytest.raises(InvalidTransition):
        sm.transition(S.BACKING_OFF, "not from disconnected")


async def test_failing_listener_does_not_break_transitions() -> None:
    sm = StateMachine()

    def bad(old: S, new: S) -> None:
        raise RuntimeError("listener bug")

    sm.add_listener(bad)
    sm.transition(S.CONNECTING, "start")
    assert sm.state is S.CONNECTING


def test_event_token_is_the_payload_token_or_the_playback_state_stream_token() -> None:
    from clova_client.cic.messages import event_token
    from clova_client.cic.outbox_items import StoredEvent
    from clova_client.protocol import Event, make_event
    from clova_client.protocol.audioplayer import PlaybackState, PlayerActivity

    state = PlaybackState(
        player_activity=PlayerActivity.PLAYING, offset_ms=5, stream={"token": "TR-1", "url": "u"}
    )
    started = make_event("AudioPlayer", "PlayStarted", {}, [state.context()])
    result = make_event("MediaPlayer", "PlaySucceeded", {"token": "mp-7"}, [])
    idle = make_event("AudioPlayer", "ReportPlaybackState", {}, [])

    def stored(event: Event) -> StoredEvent:
        return StoredEvent(1, "m", "n", event.to_json(), None)

    assert event_token(stored(started)) == "TR-1"
    assert event_token(stored(result)) == "mp-7"
    assert event_token(stored(idle)) is None


def test_is_hello_takes_both_forms_and_nothing_else() -> None:
    header = {"namespace": "Clova", "name": "Hello", "messageId": "h"}
    assert is_hello(json.dumps({"directive": {"header": header, "payload": {}}}).encode())
    assert is_hello(json.dumps({"header": header}).encode())  # the bare form
    other = {**header, "name": "HelloWorld"}
    assert not is_hello(json.dumps({"directive": {"header": other}}).encode())
    assert not is_hello(b'{"directive": {"header": "Clova.Hello"}}')
    assert not is_hello(b"Hello, not JSON")


def test_the_gate_opens_on_hello_and_never_reopens_after_its_end() -> None:
    gate = DownchannelGate()
    assert not gate.open
    gate.hello()
    assert gate.open
    gate.end("the downchannel sent its close delimiter")
    gate.end("a later reason")
    assert not gate.open and gate.ending == "the downchannel sent its close delimiter"
    gate.hello()
    assert not gate.open
    late = DownchannelGate()
    late.end("ended before Hello")
    late.hello()  # a Hello after the end opens nothing
    assert not late.open and not late.hello_seen
