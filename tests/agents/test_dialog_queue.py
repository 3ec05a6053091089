"""DialogQueue and the router: a Speak holds back the directives after it in its dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from clova_client.agents.dialog_queue import DialogQueue
from clova_client.agents.router import Outcome
from clova_client.protocol import Directive, parse_directive
from tests.agents.voice_rig import Logs, VoiceRig, directive, play_directive, speak

MP3 = {"c1": b"mp3-1", "c2": b"mp3-2"}


def custom(mid: str, dialog: str | None = None) -> bytes:
    return directive("Vendor", "Custom", {"n": mid}, mid=mid, dialog=dialog)


async def finish_speech(rig: VoiceRig) -> None:
    rig.speech_out.emit_time(0)
    await rig.settle()
    rig.speech_out.emit_ended()
    await rig.settle()


async def test_a_speak_holds_the_rest_of_its_dialog_until_it_ends(
    rig: VoiceRig, logs: Logs
) -> None:
    assert await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3) is Outcome.HANDLED
    assert await rig.dispatch(play_directive("a", mid="m-play", dialog="D")) is Outcome.HELD
    assert await rig.dispatch(custom("m-custom", "D")) is Outcome.HELD
    assert rig.handled == []
    held = [e for e in logs if e["event"] == "directive_held"]
    assert [(e["message_id"], e["waiting"], e["dialog_request_id"]) for e in held] == [
        ("m-play", 1, "D"),
        ("m-custom", 2, "D"),
    ]
    assert rig.router.queue.waiting() == {"D": 2}

    rig.speech_out.emit_time(0)
    await rig.settle()
    assert rig.handled == []  # still speaking

    rig.speech_out.emit_ended()
    await rig.settle()
    assert rig.handled == [("Play", "m-play"), ("Custom", "m-custom")]
    released = [e["message_id"] for e in logs if e["event"] == "directive_released"]
    assert released == ["m-play", "m-custom"]
    assert rig.router.queue.waiting() == {}
    assert not rig.router.queue.blocked("D")
    # the dialog is free again: the next one is handled at once
    assert await rig.dispatch(custom("m-after", "D")) is Outcome.HANDLED


async def test_handing_on_stops_at_the_next_speak(rig: VoiceRig) -> None:
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    assert await rig.dispatch(custom("m-1", "D")) is Outcome.HELD
    assert await rig.dispatch(speak("t2", dialog="D", cid="c2", mid="m-t2"), MP3) is (Outcome.HELD)
    assert await rig.dispatch(custom("m-2", "D")) is Outcome.HELD

    await finish_speech(rig)
    assert rig.handled == [("Custom", "m-1")]
    assert [s.data for s in rig.played()] == [b"mp3-1", b"mp3-2"]  # the second speech plays
    assert rig.router.queue.waiting() == {"D": 1}
    assert await rig.dispatch(custom("m-3", "D")) is Outcome.HELD  # keeps its place

    await finish_speech(rig)
    assert rig.handled == [("Custom", "m-1"), ("Custom", "m-2"), ("Custom", "m-3")]
    assert rig.speech_events() == [
        ("SpeechStarted", "t1"),
        ("SpeechFinished", "t1"),
        ("SpeechStarted", "t2"),
        ("SpeechFinished", "t2"),
    ]
    assert rig.router.queue.waiting() == {}


async def test_no_dialog_and_other_dialogs_never_wait(rig: VoiceRig) -> None:
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    assert await rig.dispatch(custom("m-none")) is Outcome.HANDLED
    assert await rig.dispatch(custom("m-other", "E")) is Outcome.HANDLED
    assert await rig.dispatch(play_directive("a", mid="m-play")) is Outcome.HANDLED
    assert rig.handled == [("Custom", "m-none"), ("Custom", "m-other"), ("Play", "m-play")]
    assert rig.router.queue.waiting() == {"D": 0}


async def test_a_speak_without_a_dialog_blocks_nothing(rig: VoiceRig) -> None:
    await rig.dispatch(speak("t1", cid="c1"), MP3)
    assert rig.synth.speaking
    assert await rig.dispatch(custom("m-1")) is Outcome.HANDLED
    assert rig.router.queue.waiting() == {}


async def test_a_directive_arriving_while_the_held_ones_are_handed_on_keeps_its_place(
    rig: VoiceRig,
) -> None:
    gate = asyncio.Event()
    order: list[str] = []

    async def slow(d: Directive[Any], _: Mapping[str, bytes]) -> None:
        order.append(d.header.message_id)
        if d.header.message_id == "m-1":
            await gate.wait()

    rig.router.register("Vendor", "Custom", slow)
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    await rig.dispatch(custom("m-2", "D"))
    await finish_speech(rig)
    assert order == ["m-1"]  # handed on, still being handled
    assert await rig.dispatch(custom("m-3", "D")) is Outcome.HELD  # behind m-2, not before
    gate.set()
    await rig.settle()
    assert order == ["m-1", "m-2", "m-3"]
    assert rig.router.queue.waiting() == {}


async def test_a_dropped_dialog_loses_what_waits_with_a_line_each(
    rig: VoiceRig, logs: Logs
) -> None:
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(play_directive("a", mid="m-play", dialog="D"))
    await rig.dispatch(custom("m-custom", "D"))
    assert rig.router.drop_dialog("D", "test: superseded") == 2
    dropped = [e for e in logs if e["event"] == "directive_dropped"]
    assert [(e["message_id"], e["directive"], e["reason"]) for e in dropped] == [
        ("m-play", "AudioPlayer.Play", "test: superseded"),
        ("m-custom", "Vendor.Custom", "test: superseded"),
    ]
    assert dropped[0]["token"] == "tok-a" and dropped[0]["dialog_request_id"] == "D"
    await finish_speech(rig)
    assert rig.handled == []
    assert rig.router.queue.waiting() == {}
    assert rig.router.drop_dialog("D", "again") == 0
    assert rig.router.drop_dialog(None, "none") == 0


async def test_stopping_the_speech_drops_its_dialog(rig: VoiceRig, logs: Logs) -> None:
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    await rig.dispatch(custom("m-1", "D"))
    rig.speech_out.emit_time(0)
    await rig.settle()
    assert await rig.synth.stop("D", "barge-in")
    await rig.settle()
    assert rig.speech_events() == [("SpeechStarted", "t1"), ("SpeechStopped", "t1")]
    assert [e["message_id"] for e in logs if e["event"] == "directive_dropped"] == ["m-1"]
    assert rig.handled == []
    assert not rig.router.queue.blocked("D")


async def test_a_superseded_dialog_is_dropped_before_it_could_be_held(rig: VoiceRig) -> None:
    rig.router.dialogs.begin("D")
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    rig.router.dialogs.begin("E")
    assert await rig.dispatch(custom("m-late", "D")) is Outcome.STALE_DIALOG


def _directive(mid: str, dialog: str | None) -> Directive[Any]:
    return parse_directive(custom(mid, dialog))


def test_queue_bookkeeping() -> None:
    q = DialogQueue()
    q.block(None)
    assert not q.blocked(None) and q.waiting() == {}
    q.block("D")
    assert q.blocked("D") and not q.blocked("E")
    assert q.hold(_directive("m-1", "D"), {}) == 1
    assert q.hold(_directive("m-2", "D"), {"c": b"x"}) == 2
    first = q.next("D")
    assert first is not None and first.directive.header.message_id == "m-1"
    assert not q.handled("D")
    q.block("D")  # the one handed on blocked again
    assert q.handled("D") and not q.handled("D")
    second = q.next("D")
    assert second is not None and second.attachments == {"c": b"x"}
    assert q.blocked("D")  # until next() finds nothing more
    assert q.next("D") is None and not q.blocked("D")
    assert q.next("D") is None
    q.block("E")
    q.hold(_directive("m-3", "E"), {})
    assert [h.directive.header.message_id for h in q.drop("E")] == ["m-3"]
    assert q.drop("E") == [] and not q.blocked("E")


async def test_what_waits_in_a_dialog_superseded_meanwhile_is_not_handed_on(
    rig: VoiceRig, logs: Logs
) -> None:
    """The voice component announced a newer dialog (the control socket's ``dialog``) while
    the old one's answer was speaking: its held Play must not start when the speech ends."""
    rig.router.dialogs.begin("D")
    await rig.dispatch(speak("t1", dialog="D", cid="c1"), MP3)
    assert await rig.dispatch(play_directive("a", mid="m-play", dialog="D")) is Outcome.HELD
    rig.router.dialogs.begin("E")  # what SpeakerControl.begin_dialog does
    await finish_speech(rig)
    assert rig.handled == [], "a directive of a superseded dialog was handled"
    assert "m-play" in [e["message_id"] for e in logs if e["event"] == "directive_dropped"]
