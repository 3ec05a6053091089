"""EventOut, the one way out: each part's context objects in one fixed order, one log line per
event, the events queued in order; and the player's state and token on the lines of directives
and events logged in other tasks than the engine's (PLAYER_LOG)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import structlog

from clova_client.agents.audioplayer_state import note_for_logs, playback_state
from clova_client.agents.context import (
    AUDIO_PLAYER_STATE,
    MEDIA_PLAYER_STATE,
    VOLUME_STATE,
    ContextRegistry,
)
from clova_client.agents.outbound import EventOut
from clova_client.agents.playback_controller import AudioSide, PlaybackControllerAgent
from clova_client.agents.router import Outcome, Router
from clova_client.logging import PLAYER_LOG
from clova_client.player.backends.fake import FakeMedia
from clova_client.protocol import Event, JsonObject
from clova_client.protocol.base import context_item
from tests.player.helpers import make_harness, play

Logs = list[MutableMapping[str, Any]]


def obj(namespace: str, name: str, **payload: Any) -> JsonObject:
    return context_item(namespace, name, payload)


def names(event: Event) -> list[str]:
    return [f"{c['header']['namespace']}.{c['header']['name']}" for c in event.context]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """Captured with the contextvars merged, as configure_logging has."""
    processors = [structlog.contextvars.merge_contextvars]
    try:
        with structlog.testing.capture_logs(processors=processors) as captured:
            yield captured
    finally:
        PLAYER_LOG.update("IDLE", None)


def test_every_event_carries_every_part_s_object_in_the_documented_order() -> None:
    sent: list[Event] = []
    out = EventOut(sent.append, ContextRegistry())
    # registered in another order than they go out
    out.context.provide(VOLUME_STATE, lambda: obj("Speaker", "VolumeState", volume=30))
    out.context.provide(MEDIA_PLAYER_STATE, lambda: obj("MediaPlayer", "PlaybackState"))
    out.context.provide(AUDIO_PLAYER_STATE, lambda: obj("AudioPlayer", "PlaybackState", now=1))
    button = out.send("PlaybackController", "PauseCommandIssued", {})
    then = obj("AudioPlayer", "PlaybackState", now=0)
    report = out.send(
        "AudioPlayer", "PlayStarted", {"token": "t"}, context={AUDIO_PLAYER_STATE: then}
    )

    assert sent == [button, report]  # queued in the order sent
    order = [AUDIO_PLAYER_STATE, MEDIA_PLAYER_STATE, VOLUME_STATE]
    assert names(button) == names(report) == order
    assert button.context[0]["payload"] == {"now": 1}  # "now"
    assert report.context[0]["payload"] == {"now": 0}  # the state as of its notice
    assert report.context[2]["payload"] == {"volume": 30}


def test_an_event_s_own_object_goes_out_where_no_part_provides_one() -> None:
    sent: list[Event] = []
    out = EventOut(sent.append)
    out.context.provide(VOLUME_STATE, lambda: obj("Speaker", "VolumeState"))
    then = obj("AudioPlayer", "PlaybackState")
    event = out.send("AudioPlayer", "PlayPaused", {}, context={AUDIO_PLAYER_STATE: then})
    assert names(event) == [AUDIO_PLAYER_STATE, VOLUME_STATE]


def test_one_line_per_event_with_its_name_message_id_and_token(logs: Logs) -> None:
    out = EventOut(lambda event: None)
    PLAYER_LOG.update("PAUSED", "tok-playing")
    own = out.send("MediaPlayer", "PlaySucceeded", {"token": "mp-1"}, dialog_request_id="d-1")
    none = out.send("PlaybackController", "NextCommandIssued", {})
    lines = [e for e in logs if e["event"] == "event"]
    assert [(e["event_name"], e["message_id"], e["token"], e["player"]) for e in lines] == [
        ("MediaPlayer.PlaySucceeded", own.message_id, "mp-1", "PAUSED"),
        ("PlaybackController.NextCommandIssued", none.message_id, "tok-playing", "PAUSED"),
    ]
    assert lines[0]["dialog_request_id"] == "d-1"
    assert all("with_player" not in e for e in logs)


async def test_directive_and_event_lines_carry_the_player_s_state_from_its_notices(
    logs: Logs,
) -> None:
    """The engine's notices update PLAYER_LOG; a directive handled in another task (the inbox's)
    and the event it sends are logged with the player's state and token."""
    harness = await make_harness({"https://media.example/a1.mp3": FakeMedia(60000)})
    engine = harness.engine
    engine.subscribe(note_for_logs)
    out = EventOut(lambda event: None)
    out.context.provide(AUDIO_PLAYER_STATE, lambda: playback_state(engine.status()).context())
    router = Router()
    PlaybackControllerAgent([AudioSide(engine)], out, engine).register(router)
    try:
        await harness.audio.play(play("a1", duration=60000))
        await harness.run_until("PlayStarted")
        header = {
            "namespace": "PlaybackController",
            "name": "ExpectPauseCommand",
            "messageId": str(uuid.uuid4()),
        }
        raw: JsonObject = {"directive": {"header": header, "payload": {}}}
        inbox = asyncio.create_task(router.dispatch(raw))  # another task than the engine's
        assert await inbox is Outcome.HANDLED
    finally:
        await engine.close()
    (received,) = [e for e in logs if e["event"] == "directive_received"]
    assert received["player"] == "PLAYING"
    assert received["token"] is None  # the directive's own token: it has none
    (line,) = [e for e in logs if e.get("event_name") == "PlaybackController.PauseCommandIssued"]
    assert (line["player"], line["token"]) == ("PLAYING", "tok-a1")
