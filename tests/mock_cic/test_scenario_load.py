"""What a scenario file is checked for when it loads: Play ids with ${RUN}, matchers, keys,
variables. Each mistake is one line and exit 2, before anything reaches the mock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.scenario import ScenarioError, parse_scenario, substitute, variables

from .test_scenario import EXAMPLES, run_cli


def play(item_id: Any, *, token: str = "t-${RUN}") -> dict[str, Any]:
    item = {"audioItemId": item_id, "stream": {"token": token, "url": "${MEDIA_URL}/tone.wav"}}
    return {
        "directive": {
            "header": {"namespace": "AudioPlayer", "name": "Play"},
            "payload": {"audioItem": item, "playBehavior": "REPLACE_ALL"},
        }
    }


def error_of(data: object) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"name": "start", "push": play("item-1")}],
            "step 1 (start) push: AudioPlayer.Play audioItem.audioItemId 'item-1' does not "
            "contain ${RUN}: a second run against the same daemon would be dropped as a "
            "duplicate (write e.g. 'item-1-${RUN}', or set 'fixed_ids: true' at the top",
        ),
        (
            [{"sleep": 0}, {"push": [play("a-${RUN}"), play("b")]}],
            "step 2 push: directive #2 AudioPlayer.Play audioItem.audioItemId 'b' does not",
        ),
        (
            [{"reply": play(None), "on": "AudioPlayer.PlayFinished"}],
            "step 1 reply: AudioPlayer.Play audioItem.audioItemId None does not contain ${RUN}",
        ),
        (
            [{"responders": {"playlist": [play("p-1")["directive"]["payload"]]}}],
            "step 1 responders: playlist[0].audioItem.audioItemId 'p-1' does not contain",
        ),
    ],
)
def test_a_play_without_run_in_its_id_is_an_error(steps: list[Any], message: str) -> None:
    assert message in error_of({"steps": steps})


def test_fixed_ids_opts_out_and_other_directives_need_no_run() -> None:
    fixed = parse_scenario({"fixed_ids": True, "steps": [{"push": play("item-1")}]})
    assert fixed.fixed_ids
    pause = {"directive": {"header": {"namespace": "PlaybackController", "name": "Pause"}}}
    assert not parse_scenario({"steps": [{"push": pause}]}).fixed_ids
    assert "'fixed_ids' must be true or false" in error_of({"fixed_ids": "yes", "steps": [1]})


def test_run_is_substituted_everywhere_keys_included() -> None:
    values = variables({"media_url": "http://m/media"}, "http://c", "1a2b3c4d")
    tables = {"stream_deliver": {"item-1-${RUN}": {"token": "t-${RUN}", "url": "${MEDIA_URL}/a"}}}
    assert substitute(tables, values) == {
        "stream_deliver": {"item-1-1a2b3c4d": {"token": "t-1a2b3c4d", "url": "http://m/media/a"}}
    }


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            {"context[0].payload.offsetInMilliseconds": {"$approx": 1000}},
            "step 1: expect context[0].payload.offsetInMilliseconds: unknown matcher '$approx' "
            "(known: $exists $ne $in $regex $gt $gte $lt $lte)",
        ),
        ({"event.payload": {"stream": {"$gte": 1}}}, "'$gte' inside an expected value"),
        ({"event.payload.x": {"$gte": 1, "token": "a"}}, "mixes operators with plain key(s)"),
        ({"event.payload.x": {"$in": "abc"}}, "$in takes a list"),
        ({"event.payload.x": {"$gte": "1"}}, "$gte takes a number"),
        ({"event.payload.x": {"$exists": 1}}, "$exists takes true or false"),
        ({"event.payload.x": {"$regex": "(unclosed"}}, "is not a regular expression"),
        ({"event..payload": 1}, "malformed field path 'event..payload'"),
        ({"event.payload.x": "${RUNN}"}, "step 1 expect: unknown variable ${RUNN} (known: ${RUN}"),
    ],
)
def test_bad_expectations_are_errors(expect: dict[str, Any], message: str) -> None:
    assert message in error_of({"steps": [{"wait_for": "A.B", "expect": expect}]})


def test_good_matchers_pass() -> None:
    expect = {
        "event.payload.a": {"$gte": 900, "$lte": 1100},
        "event.payload.b": {"$regex": "^${MEDIA_URL}/x"},
        "event.payload.c": {"$exists": False},
        "event.payload.d": {"$in": ["x", 1]},
        "event.payload.e": {"plain": ["mapping"]},
    }
    assert parse_scenario({"steps": [{"wait_for": "A.B", "expect": expect}]}).steps


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"steps": [{"wait_for": "A.B", "timout": 3}]},
            "step 1: unknown key(s) ['timout'] for wait_for (did you mean 'timeout'?); "
            "allowed: expect, index, name, timeout",
        ),
        (
            {"steps": [{"wiat_for": "A.B", "expect": {}}]},
            "step 1: needs exactly one of push, reply, wait_for, expect_order, fault, sleep, "
            "wait_downchannel, responders, remote, voice; got ['wiat_for', 'expect']; "
            "unknown key(s) ['wiat_for'] (did you mean 'wait_for'?)",
        ),
        ({"step": []}, "scenario: unknown top-level key(s) ['step'] (did you mean 'steps'?)"),
        ({"steps": [{"wait_downchannel": {"reopend": 1}}]}, "['reopend'] (did you mean 'reop"),
        ({"steps": [{"responders": {"stream_delivr": {}}}]}, "unknown key(s) ['stream_delivr']"),
        ({"steps": [{"push": play("a-${RUN}"), "raw": "yes"}]}, "step 1 raw: expected true or"),
        ({"steps": [{"push": play("a-${RUN}"), "attachments": {"c": "!"}}]}, "attachments.c"),
        ({"steps": [{"push": play("a-${MEDIA}")}]}, "step 1 push: unknown variable ${MEDIA}"),
    ],
)
def test_unknown_keys_and_names_are_errors(data: object, message: str) -> None:
    assert message in error_of(data)


UNKNOWN_MATCHER = """\
device: default
connect_timeout: null
responders:
  stream_deliver: {"item-1-${RUN}": {url: "${MEDIA_URL}/tone.wav"}}
steps:
  - push:
      directive:
        header: {namespace: AudioPlayer, name: Play}
        payload:
          audioItem: {audioItemId: "item-1-${RUN}", stream: {url: "clova:x", urlPlayable: false}}
          playBehavior: REPLACE_ALL
  - name: roughly one second in
    wait_for: AudioPlayer.PlayStarted
    expect:
      context[AudioPlayer.PlaybackState].payload.offsetInMilliseconds: {$approx: 1000}
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            UNKNOWN_MATCHER,
            "ERROR step 2 (roughly one second in): expect context[AudioPlayer.PlaybackState]."
            "payload.offsetInMilliseconds: unknown matcher '$approx' (known: $exists $ne $in "
            "$regex $gt $gte $lt $lte)",
        ),
        (
            UNKNOWN_MATCHER.replace("    expect:", "    timeot: 3\n    expect:"),
            "ERROR step 2 (roughly one second in): unknown key(s) ['timeot'] for wait_for "
            "(did you mean 'timeout'?); allowed: expect, index, name, timeout",
        ),
        (
            UNKNOWN_MATCHER.replace('audioItemId: "item-1-${RUN}"', "audioItemId: item-1"),
            "ERROR step 1 push: AudioPlayer.Play audioItem.audioItemId 'item-1' does not "
            "contain ${RUN}",
        ),
    ],
)
async def test_load_errors_exit_2_before_anything_runs(
    tmp_path: Path, text: str, line: str
) -> None:
    async with MockCicServer(media_dir=EXAMPLES / "media") as mock:
        scenario = tmp_path / "bad.yaml"
        scenario.write_text(text)
        code, out = await run_cli("run-scenario", str(scenario), "--control-url", mock.control_url)
    assert code == 2, out
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), out  # no header: the run never began
    assert mock.responders.stream_deliver == {}  # the scenario's tables were never sent


async def test_serve_refuses_a_bad_scenario_before_it_listens(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(UNKNOWN_MATCHER)
    code, out = await run_cli(
        "serve", "--port", "0", "--control-port", "0", "--scenario", str(scenario)
    )
    assert code == 2, out
    assert re.fullmatch(r"ERROR step 2 .*unknown matcher '\$approx'.*\n", out), out
