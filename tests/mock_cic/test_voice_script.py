"""Scripting the mock's answers to Recognize: the checked shapes, the control API, scenarios."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.control_client import ControlApiError, ControlClient
from clova_client.mock_cic.scenario import (
    ScenarioError,
    ScenarioRunner,
    load_scenario,
    parse_scenario,
)
from clova_client.mock_cic.voice_script import VoiceScript, parse_voice_body

from .helpers import DownchannelReader
from .test_scenario import EXAMPLES
from .voice_helpers import directives, names, recognize, send_recognize


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"answer": []}, "voice: unknown key(s) ['answer'] (known: answers, default, append)"),
        ({"answers": {}}, "answers: expected a list of answers"),
        ({"answers": [{"stop_capture_after": 1}]}, "answers[0]: unknown key(s)"),
        ({"answers": [{"stop_capture_after_ms": -1}]}, "answers[0].stop_capture_after_ms"),
        ({"answers": [{"speak": [{"tone_ms": 0}]}]}, "answers[0].speak[0].tone_ms: expected"),
        ({"answers": [{"speak": [{"text": "a", "tone_ms": 5}]}]}, "give text or tone_ms"),
        ({"answers": [{}, {"speak": [{"via": "ftp"}]}]}, "answers[1].speak[0].via: expected"),
        ({"answers": [{"speak": [{"url_status": 404}]}]}, "url_status: only with via url"),
        ({"answers": [{"speak": [{"via": "url", "url_status": 700}]}]}, "HTTP status 100-599"),
        ({"answers": [{"speak": [{"via": "hls", "attachment": "before"}]}]}, "only with via"),
        ({"answers": [{"speak": [{"voice": "en; rm"}]}]}, "speak[0].voice"),
        ({"answers": [{"speak": [{"lang": "fr"}]}]}, "speak[0].lang: expected one of en"),
        ({"answers": [{"then": {"play": {}, "expect_speech": {}}}]}, "answers[0].then: expected"),
        ({"answers": [{"then": {"expect_speech": {"explicit": "yes"}}}]}, "explicit: expected"),
        ({"answers": [{"then": {"play": {"uri": "x"}}}]}, "then.play (or a Play payload"),
        ({"answers": [{"late": [{"after_ms": 5}]}]}, "late[0]: expected after_ms and one of"),
        ({"answers": [{"late": [{"speak": {}}]}]}, "late[0].after_ms: expected a whole"),
        ({"answers": [{"late": [{"after_ms": 1, "directive": {}}]}]}, "late[0].directive.dir"),
        ({"default": {"answer_delay_ms": 1.5}}, "default.answer_delay_ms: expected a whole"),
        ({"append": "yes"}, "append: expected true or false"),
    ],
)
def test_a_bad_answer_names_where_it_is_wrong(body: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_voice_body(body)
    assert message in str(info.value)


def test_answers_queue_in_order_and_a_refused_one_goes_back_first() -> None:
    script = VoiceScript()
    script.update({"answers": [{"recognized_text": "one"}, {"recognized_text": "two"}]})
    script.update({"answers": [{"recognized_text": "three"}], "append": True})
    first, scripted = script.take()
    assert (first.recognized_text, scripted) == ("one", True)
    script.put_back(first)
    assert [a.recognized_text for a in script.queue] == ["one", "two", "three"]
    script.update({"answers": [{"speak": "only"}], "default": {"then": None}})
    assert [a.speak[0].text for a in script.queue] == ["only"]
    script.take()
    default, scripted = script.take()
    assert not scripted and default.then is None
    with pytest.raises(ValueError):
        script.update({"answers": [{}], "default": {"bogus": 1}})
    assert not script.queue and default is script.default  # nothing changed
    script.update({"default": None})
    assert script.default.speak[0].text == "Here is your music"


async def test_control_api_scripts_and_shows_the_voice(
    server: MockCicServer,
    session: aiohttp.ClientSession,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
) -> None:
    url = f"{server.control_url}/_mock/voice"
    answers = [{"speak": [{"tone_ms": 200}], "then": {"expect_speech": {"explicit": False}}}]
    async with session.post(url, json={"answers": answers}) as response:
        assert response.status == 200
        state = await response.json()
    (queued,) = state["queued"]
    assert queued["stop_capture_after_ms"] == 1500 and queued["speak"][0]["tone_ms"] == 200
    assert queued["then"] == {"expect_speech": {"timeout_ms": 7000, "explicit": False}}
    assert state["default"]["then"] == {"play": {}} and state["answered"] == []
    async with session.post(url, json={"answers": [{"speak": [{"tone_ms": -5}]}]}) as response:
        assert response.status == 400
        assert "answers[0].speak[0].tone_ms" in (await response.json())["error"]

    status, parts, _ = await send_recognize(cic, recognize("dialog-api"))
    assert status == 200 and names(parts)[-1] == "SpeechRecognizer.ExpectSpeech"
    async with session.get(url) as response:
        state = await response.json()
    assert state["queued"] == []
    (answered,) = state["answered"]
    assert answered["dialog_request_id"] == "dialog-api" and answered["status"] == 200
    assert answered["directives"] == ["SpeechSynthesizer.Speak", "SpeechRecognizer.ExpectSpeech"]
    expect = directives(parts)[-1]["payload"]
    assert answered["expect_speech_id"] == expect["expectSpeechId"]
    assert answered["audio_bytes"] == 3 * 6400 and answered["stop_capture_at"] is None

    async with session.post(f"{server.control_url}/_mock/reset") as response:
        assert response.status == 200
    assert server.voice.answered == []


async def test_a_scenario_scripts_the_voice_at_the_top_and_in_a_step(
    server: MockCicServer,
) -> None:
    scenario = parse_scenario(
        {
            "device": "dev-a",
            "connect_timeout": None,
            "voice": {"default": {"then": {"play": {"url": "${MEDIA_URL}/song.bin"}}}},
            "steps": [
                {"voice": {"answers": [{"speak": "first"}, {"speak": [{"tone_ms": 900}]}]}},
                {"voice": {"answers": [{"speak": "third"}], "append": True}},
            ],
        }
    )
    async with ControlClient(server.control_url) as client:
        await ScenarioRunner(scenario, client, out=lambda _: None).run()
        state = await client.voice_state()
    assert [a["speak"][0]["text"] for a in state["queued"]] == ["first", None, "third"]
    assert state["default"]["then"]["play"]["url"] == server.media_url("song.bin")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"voice": {"answers": [{"speek": "x"}]}, "steps": [{"sleep": 0}]},
            "voice: answers[0]: unknown key(s) ['speek']",
        ),
        (
            {"steps": [{"sleep": 0}, {"name": "turn 2", "voice": {"answers": [{"then": 1}]}}]},
            "step 2 (turn 2) voice: answers[0].then: expected an object",
        ),
        (
            {"steps": [{"voice": {"answers": [{"then": {"play": {"url": "${MEDIA}/a"}}}]}}]},
            "step 1 voice: unknown variable ${MEDIA}",
        ),
        ({"steps": [{"voice": {}, "timeout": 1}]}, "unknown key(s) ['timeout'] for voice"),
    ],
)
def test_a_bad_voice_in_a_scenario_is_an_error_naming_the_entry(data: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert message in str(info.value)


def test_the_voice_example_scenario_loads() -> None:
    scenario = load_scenario(EXAMPLES / "voice.yaml")
    assert scenario.voice is not None and any(s.action == "voice" for s in scenario.steps)


async def test_the_control_client_reports_a_bad_voice_body(server: MockCicServer) -> None:
    async with ControlClient(server.control_url) as client:
        with pytest.raises(ControlApiError, match="append: expected true or false"):
            await client.voice({"append": 1})
