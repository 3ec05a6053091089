"""PlaybackControllerAgent on a real PlayerEngine over the FakeBackend: the Clova app's remote
control (Expect*Command -> *CommandIssued at once), the speaker's buttons, the deprecated
directives and the earcons of output changes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from clova_client.agents.audioplayer_state import playback_state
from clova_client.agents.buttons import Button
from clova_client.agents.context import AUDIO_PLAYER_STATE
from clova_client.agents.outbound import EventOut
from clova_client.agents.playback_controller import AudioSide, PlaybackControllerAgent
from clova_client.agents.router import Outcome, Router
from clova_client.player.backends.fake import FakeMedia
from clova_client.player.earcon import Earcon
from clova_client.protocol import Event, JsonObject
from tests.player.helpers import Harness, make_harness, play

EXPECTS = {
    "ExpectPauseCommand": "PauseCommandIssued",
    "ExpectResumeCommand": "ResumeCommandIssued",
    "ExpectNextCommand": "NextCommandIssued",
    "ExpectPreviousCommand": "PreviousCommandIssued",
    "ExpectStopCommand": "StopCommandIssued",
    "ExpectPlayCommand": "PlayCommandIssued",
}


def directive(
    name: str, payload: JsonObject | None = None, dialog: str | None = None
) -> JsonObject:
    header: JsonObject = {
        "namespace": "PlaybackController",
        "name": name,
        "messageId": str(uuid.uuid4()),
    }
    if dialog is not None:
        header["dialogRequestId"] = dialog
    return {"directive": {"header": header, "payload": payload or {}}}


@dataclass
class Remote:
    harness: Harness
    agent: PlaybackControllerAgent
    router: Router
    sent: list[Event] = field(default_factory=list)
    saves: list[int] = field(default_factory=list)

    async def dispatch(self, raw: JsonObject) -> Outcome:
        outcome = await self.router.dispatch(raw)
        await self.harness.settle()
        return outcome

    async def playing(self) -> None:
        await self.harness.audio.play(play("a1", duration=60000))
        await self.harness.run_until("PlayStarted")

    def state(self, event: Event) -> JsonObject:
        payload = event.context[0]["payload"]
        assert isinstance(payload, dict)
        return payload


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    harness = await make_harness({"https://media.example/a1.mp3": FakeMedia(60000)})
    box: list[Remote] = []

    engine = harness.engine
    out = EventOut(lambda event: box[0].sent.append(event))
    out.context.provide(AUDIO_PLAYER_STATE, lambda: playback_state(engine.status()).context())
    agent = PlaybackControllerAgent(
        [AudioSide(engine)],
        out,
        engine,
        saved=lambda: box[0].saves.append(engine.volume),
    )
    router = Router()
    agent.register(router)
    box.append(Remote(harness, agent, router))
    yield box[0]
    await engine.close()


@pytest.mark.parametrize("name", list(EXPECTS))
async def test_each_expect_sends_its_command_issued_at_once(remote: Remote, name: str) -> None:
    await remote.playing()
    before = list(remote.harness.sent)
    calls = len(remote.harness.backend.calls)
    target = {"target": {"namespace": "AudioPlayer"}}
    assert await remote.dispatch(directive(name, target, dialog="app-1")) is Outcome.HANDLED

    (event,) = remote.sent
    assert event.full_name == f"PlaybackController.{EXPECTS[name]}"
    assert event.payload == {"source": {"namespace": "AudioPlayer"}}
    assert event.header.dialog_request_id == "app-1"  # CIC's answer belongs to the same request
    assert remote.state(event)["playerActivity"] == "PLAYING"  # the cloud decides, not the press
    # it acts like a press: nothing happens locally until CIC answers
    assert remote.harness.sent == before
    assert len(remote.harness.backend.calls) == calls
    assert remote.harness.engine.state.value == "PLAYING"


async def test_nothing_is_kept_for_a_later_press(remote: Remote) -> None:
    await remote.dispatch(directive("ExpectPauseCommand", {"target": {"namespace": "MediaPlayer"}}))
    await remote.dispatch(directive("ExpectNextCommand"))
    pressed = remote.agent.press(Button.PAUSE)
    assert [(e.header.name, e.payload) for e in remote.sent] == [
        ("PauseCommandIssued", {"source": {"namespace": "MediaPlayer"}}),
        ("NextCommandIssued", {}),
        ("PauseCommandIssued", {}),
    ]
    assert pressed is remote.sent[-1]
    assert pressed.header.dialog_request_id is None


async def test_expect_play_hands_over_its_handover_and_token(remote: Remote) -> None:
    handover = {"deviceId": "phone-7", "customData": '{"pos":83100}', "extra": [1]}
    payload = {"handover": handover, "token": "TR-NM-4435786"}
    await remote.dispatch(directive("ExpectPlayCommand", payload, dialog="d-play"))
    await remote.dispatch(directive("ExpectPlayCommand"))
    first, second = remote.sent
    assert first.full_name == "PlaybackController.PlayCommandIssued"
    assert first.payload == {"handover": handover, "token": "TR-NM-4435786"}
    assert first.header.dialog_request_id == "d-play"
    assert second.payload == {}


async def test_a_bad_expect_is_invalid_and_sends_nothing(remote: Remote) -> None:
    bad = directive("ExpectPlayCommand", {"handover": "not an object"})
    assert await remote.dispatch(bad) is Outcome.INVALID
    bad = directive("ExpectStopCommand", {"target": {"namespace": "Radio"}})
    assert await remote.dispatch(bad) is Outcome.INVALID
    assert remote.sent == []


async def test_play_button_resumes_a_paused_player_and_plays_a_chosen_item(
    remote: Remote,
) -> None:
    await remote.playing()
    await remote.harness.engine.pause()
    await remote.harness.settle()
    assert remote.harness.engine.state.value == "PAUSED"
    resumed = remote.agent.press(Button.PLAY)
    assert (resumed.header.name, resumed.payload) == ("ResumeCommandIssued", {})
    assert remote.state(resumed)["playerActivity"] == "PAUSED"
    chosen = remote.agent.press(Button.PLAY, token="TR-2")
    assert (chosen.header.name, chosen.payload) == ("PlayCommandIssued", {"token": "TR-2"})
    with pytest.raises(ValueError, match="only play takes a token"):
        remote.agent.press(Button.STOP, token="TR-2")
    assert len(remote.sent) == 2


async def test_repeat_button_asks_for_the_next_mode(remote: Remote) -> None:
    first = remote.agent.press(Button.REPEAT)
    assert (first.header.name, first.payload) == (
        "SetRepeatModeCommandIssued",
        {"repeatMode": "REPEAT_ONE"},
    )
    assert remote.harness.engine.repeat.value == "NONE"  # the press only asks
    await remote.dispatch(directive("SetRepeatMode", {"repeatMode": "REPEAT_ONE"}))
    second = remote.agent.press(Button.REPEAT)
    assert second.payload == {"repeatMode": "NONE"}


async def test_custom_button_names_itself(remote: Remote) -> None:
    event = remote.agent.press(Button.CUSTOM, name="CUSTOM_BUTTON_2")
    assert (event.header.name, event.payload) == (
        "CustomCommandIssued",
        {"button": "CUSTOM_BUTTON_2"},
    )
    with pytest.raises(ValueError, match="custom needs the button's name"):
        remote.agent.press(Button.CUSTOM)


async def test_deprecated_repeat_directives_set_the_mode(remote: Remote) -> None:
    await remote.playing()
    assert await remote.dispatch(directive("TurnOnRepeatMode")) is Outcome.HANDLED
    assert playback_state(remote.harness.engine.status()).context()["payload"]["repeatMode"] == (
        "REPEAT_ONE"
    )
    assert await remote.dispatch(directive("TurnOffRepeatMode")) is Outcome.HANDLED
    assert remote.harness.engine.repeat.value == "NONE"


async def test_volume_up_down_step_and_sound_an_earcon(remote: Remote) -> None:
    engine, backend = remote.harness.engine, remote.harness.backend
    await engine.mixer.set_volume(95)
    assert await remote.dispatch(directive("VolumeUp")) is Outcome.HANDLED
    assert (engine.volume, backend.volume) == (100, 100)  # clamped
    await remote.dispatch(directive("VolumeDown"))
    await remote.dispatch(directive("VolumeDown"))
    assert (engine.volume, backend.volume) == (80, 80)
    assert backend.earcons == [(Earcon.VOLUME, 100), (Earcon.VOLUME, 90), (Earcon.VOLUME, 80)]
    assert remote.saves == [100, 90, 80]  # kept across restarts
    assert remote.sent == []


async def test_mute_and_unmute_sound_an_earcon_outside_the_audioplayer_state(
    remote: Remote,
) -> None:
    await remote.playing()
    engine, backend = remote.harness.engine, remote.harness.backend
    events, calls = list(remote.harness.sent), list(backend.calls)
    state: dict[str, Any] = playback_state(engine.status()).context()["payload"]
    await remote.dispatch(directive("Mute"))
    assert backend.muted and engine.muted
    await remote.dispatch(directive("Unmute"))
    assert not backend.muted
    assert backend.earcons == [(Earcon.MUTE, 100), (Earcon.UNMUTE, 100)]
    assert backend.calls == [*calls, ("set_mute", True), ("set_mute", False)]
    assert remote.harness.sent == events  # no AudioPlayer event for an earcon
    after = playback_state(engine.status()).context()["payload"]
    assert (after["playerActivity"], after["stream"]) == (state["playerActivity"], state["stream"])
    assert remote.sent == []
