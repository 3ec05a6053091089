"""The mock's remote control (the Clova app's side) and CIC's answers to *CommandIssued: through
the control API, over the CIC port (HTTP/2), as a scenario step, and the responders alone."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.remote import parse_remote
from clova_client.mock_cic.responders import Responders
from clova_client.mock_cic.scenario import ScenarioError, parse_scenario

from .helpers import DownchannelReader, event, name_of, post_event

pytestmark = pytest.mark.usefixtures("online")  # events need the downchannel's connection


def issued(name: str, payload: dict[str, Any] | None = None, **header: Any) -> dict[str, Any]:
    return event("PlaybackController", name, payload, **header)


async def call(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with session.post(url, json=body) as response:
        return response.status, await response.json()


async def test_remote_pushes_the_expect_and_the_answer_carries_its_dialog_id(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = f"{server.control_url}/_mock/remote"
    status, answer = await call(
        session, url, {"device": "dev-a", "command": "pause", "target": "AudioPlayer"}
    )
    assert status == 200 and answer["delivered"] is True
    assert answer["answer"] == "PlaybackController.PauseCommandIssued"
    dialog = answer["dialog_request_id"]
    part = await online.next_part()
    assert part is not None and name_of(part) == "PlaybackController.ExpectPauseCommand"
    sent = part.json()["directive"]
    assert sent["header"]["dialogRequestId"] == dialog
    assert sent["payload"] == {"target": {"namespace": "AudioPlayer"}}

    # a speaker that does not echo the id still gets CIC's answer under the Expect's id
    source = {"source": {"namespace": "AudioPlayer"}}
    status, parts, _ = await post_event(cic, "token-a", issued("PauseCommandIssued", source))
    assert status == 200
    (pause,) = [p.json()["directive"] for p in parts]
    assert (pause["header"]["name"], pause["header"]["dialogRequestId"]) == ("Pause", dialog)
    assert pause["payload"] == {"target": {"namespace": "AudioPlayer"}}
    # used up: a later local press is answered without it
    status, parts, _ = await post_event(cic, "token-a", issued("PauseCommandIssued"))
    assert "dialogRequestId" not in parts[0].json()["directive"]["header"]


async def test_remote_play_and_repeat(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    handover = {"deviceId": "phone", "customData": "cd"}
    message = server.remote("dev-a", "play", token="tok-2", handover=handover)
    assert message["directive"]["payload"] == {"handover": handover, "token": "tok-2"}
    part = await online.next_part()
    assert part is not None and name_of(part) == "PlaybackController.ExpectPlayCommand"
    repeat = server.remote("dev-a", "repeat", repeatMode="REPEAT_ONE", dialogRequestId="d-r")
    assert repeat["directive"]["header"] == {
        **repeat["directive"]["header"],
        "name": "SetRepeatMode",
        "dialogRequestId": "d-r",
    }
    assert repeat["directive"]["payload"] == {"repeatMode": "REPEAT_ONE"}

    status, answer = await call(
        session,
        f"{server.control_url}/_mock/remote",
        {"device": "dev-a", "command": "play", "repeatMode": "NONE"},
    )
    assert status == 400
    assert answer["error"] == "repeat takes repeatMode (NONE, REPEAT_ONE), and only repeat"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"command": "eject"}, "command must be one of pause, resume, next, previous, stop"),
        ({"command": "next", "token": "t"}, "token and handover go with play only"),
        ({"command": "stop", "target": "Radio"}, "target must be one of AudioPlayer"),
        ({"command": "play", "handover": {"deviceId": "x"}}, "handover.customData must be"),
        ({"command": "repeat"}, "repeat takes repeatMode"),
        ({"command": "pause", "colour": 1}, "unknown key(s) ['colour']"),
    ],
)
def test_bad_remote_bodies(body: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_remote(body)
    assert str(caught.value).startswith(error)


def test_cic_answers_play_with_a_token_and_set_repeat_mode() -> None:
    responders = Responders()
    playlist = [
        {"audioItem": {"audioItemId": f"i{n}", "stream": {"token": f"t{n}", "url": f"u{n}"}}}
        for n in (1, 2)
    ]
    responders.update({"playlist": playlist})
    name = "PlaybackController.PlayCommandIssued"
    (play,) = responders.answer("d", name, issued("PlayCommandIssued", {"token": "t2"}), dialog="x")
    assert play["directive"]["header"]["name"] == "Play"
    assert play["directive"]["header"]["dialogRequestId"] == "x"
    assert play["directive"]["payload"]["audioItem"]["audioItemId"] == "i2"
    assert play["directive"]["payload"]["playBehavior"] == "REPLACE_ALL"
    assert responders.answer("d", name, issued("PlayCommandIssued", {"token": "t9"})) == []
    assert responders.answer("d", name, issued("PlayCommandIssued")) == []

    name = "PlaybackController.SetRepeatModeCommandIssued"
    message = issued("SetRepeatModeCommandIssued", {"repeatMode": "NONE"}, dialogRequestId="y")
    (repeat,) = responders.answer("d", name, message, dialog="ignored")
    assert repeat["directive"]["header"]["dialogRequestId"] == "y"  # the event's own id wins
    assert (repeat["directive"]["header"]["name"], repeat["directive"]["payload"]) == (
        "SetRepeatMode",
        {"repeatMode": "NONE"},
    )
    name = "PlaybackController.CustomCommandIssued"
    assert responders.answer("d", name, issued("CustomCommandIssued", {"button": "B"})) == []
    responders.update({"buttons": False})
    assert responders.answer("d", "PlaybackController.SetRepeatModeCommandIssued", message) == []


def test_remote_scenario_steps_are_checked_when_loaded() -> None:
    steps = [{"remote": "pause"}, {"remote": {"command": "play", "token": "t-${RUN}"}}]
    scenario = parse_scenario({"steps": steps})
    assert [s.arg for s in scenario.steps] == [
        {"command": "pause"},
        {"command": "play", "token": "t-${RUN}"},
    ]
    with pytest.raises(ScenarioError, match=r"^step 1 remote: command must be one of"):
        parse_scenario({"steps": [{"remote": "eject"}]})
    with pytest.raises(ScenarioError, match=r"^step 1 remote: unknown variable"):
        parse_scenario({"steps": [{"remote": {"command": "play", "token": "${NOPE}"}}]})
