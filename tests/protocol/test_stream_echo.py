"""Provider fields survive Play -> PlaybackState byte for byte; the StreamDeliver merge rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clova_client.protocol import make_event, parse_directive
from clova_client.protocol.audioplayer import (
    PlaybackState,
    PlayBehavior,
    PlayerActivity,
    StreamRequestedPayload,
    merge_stream,
)

TEXT = st.characters(codec="utf-8")  # what the wire can carry: no lone surrogates

# Documented fields (camelCase and the Python names pydantic also accepts): never custom.
STREAM_FIELDS = {
    "beginAtInMilliseconds",
    "durationInMilliseconds",
    "progressReport",
    "token",
    "url",
    "urlPlayable",
    "begin_at_in_milliseconds",
    "duration_in_milliseconds",
    "progress_report",
    "url_playable",
}
ITEM_FIELDS = {"audioItemId", "audio_item_id", "stream", "type"}
REPORT_FIELDS = {f"progressReport{k}InMilliseconds" for k in ("Delay", "Interval", "Position")} | {
    f"progress_report_{k}_in_milliseconds" for k in ("delay", "interval", "position")
}
# Undocumented names a provider may use for anything; the models must not choke on them.
LOOKALIKES = ["title", "artist", "album", "artImageUrl", "format", "customData", "custom_data"]

numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(10**6), 10**6).map(float)  # 3000.0: a float that looks like an int
)
numeric_strings = numbers.map(str)
scalars = st.none() | st.booleans() | numbers | numeric_strings | st.text(TEXT, max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(TEXT, max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def custom_fields(reserved: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.text(TEXT, min_size=1, max_size=10).filter(lambda k: k not in reserved)
    return st.dictionaries(keys | st.sampled_from(LOOKALIKES), json_values, max_size=4)


millis = st.integers(0, 10**12) | st.integers(0, 10**6).map(float) | st.integers(0, 10**6).map(str)


def shuffled(items: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.permutations(list(items.items())).map(dict)


@st.composite
def progress_reports(draw: st.DrawFn) -> dict[str, Any]:
    report = {
        k: draw(st.none() | st.integers(0, 10**9))
        for k in sorted(REPORT_FIELDS)
        if k.startswith("progressReport") and draw(st.booleans())
    }
    report.update(draw(custom_fields(REPORT_FIELDS)))
    return draw(shuffled(report))


@st.composite
def streams(draw: st.DrawFn) -> dict[str, Any]:
    playable = draw(st.sampled_from([True, False, None]))  # None: the field is absent
    stream: dict[str, Any] = draw(custom_fields(STREAM_FIELDS))
    if playable is not None:
        stream["urlPlayable"] = playable
    if playable is not False or draw(st.booleans()):
        stream["url"] = draw(st.text(TEXT, min_size=1, max_size=20))
    if playable is False or draw(st.booleans()):
        stream["token"] = draw(st.text(TEXT, min_size=1, max_size=20))
    for key in ("beginAtInMilliseconds", "durationInMilliseconds"):
        if draw(st.booleans()):
            stream[key] = draw(millis)
    if draw(st.booleans()):
        stream["progressReport"] = draw(progress_reports())
    return draw(shuffled(stream))


@st.composite
def play_directives(draw: st.DrawFn) -> dict[str, Any]:
    item = draw(custom_fields(ITEM_FIELDS))
    item["audioItemId"] = draw(st.text(TEXT, min_size=1, max_size=20))
    item["stream"] = draw(streams())
    if draw(st.booleans()):
        item["type"] = draw(st.text(TEXT, max_size=10))
    payload = {
        "audioItem": draw(shuffled(item)),
        "playBehavior": draw(st.sampled_from(list(PlayBehavior))).value,
        **draw(custom_fields({"audioItem", "playBehavior", "source"})),
    }
    header = {"namespace": "AudioPlayer", "name": "Play", "messageId": "m-1"}
    return {"directive": {"header": header, "payload": payload}}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(play_directives())
def test_play_stream_is_echoed_byte_for_byte(message: dict[str, Any]) -> None:
    sent_item = message["directive"]["payload"]["audioItem"]
    expected = dumps(sent_item["stream"])

    item = parse_directive(dumps(message)).payload.audio_item
    state = PlaybackState(
        player_activity=PlayerActivity.PLAYING, offset_ms=0, stream=item.stream.raw
    )
    context = state.context()
    assert dumps(context["payload"]["stream"]) == expected
    # ... and still after the event envelope is built and serialised
    event = make_event("AudioPlayer", "PlayStarted", context=[context]).to_json()
    assert dumps(json.loads(dumps(event))["context"][0]["payload"]["stream"]) == expected
    # the item and the StreamRequested echo keep every field too
    assert dumps(item.raw) == dumps(sent_item)
    request = StreamRequestedPayload(audio_item_id=item.audio_item_id, audio_stream=item.stream.raw)
    assert (
        dumps(
            make_event("AudioPlayer", "StreamRequested", request).to_json()["event"]["payload"][
                "audioStream"
            ]
        )
        == expected
    )


def test_raw_is_a_copy() -> None:
    """Changing what .raw returned never changes what the next report echoes."""
    message = {
        "directive": {
            "header": {"namespace": "AudioPlayer", "name": "Play", "messageId": "m"},
            "payload": {
                "audioItem": {"audioItemId": "a", "stream": {"url": "u", "x": {"y": [1]}}},
                "playBehavior": "ENQUEUE",
            },
        }
    }
    stream = parse_directive(message).payload.audio_item.stream
    stream.raw["x"]["y"].append(2)
    assert stream.raw == {"url": "u", "x": {"y": [1]}}
    message["directive"]["payload"]["audioItem"]["stream"]["url"] = "changed"  # type: ignore[index]
    assert stream.raw["url"] == "u"


# --- StreamDeliver merge: the worked example -------------------------------------------------

PLAY_STREAM = {
    "beginAtInMilliseconds": 0,
    "progressReport": {
        "progressReportDelayInMilliseconds": None,
        "progressReportIntervalInMilliseconds": 20000,
        "progressReportPositionInMilliseconds": 30000,
    },
    "token": "TR-NM-4435786",
    "url": "clova:TR-NM-4435786",
    "urlPlayable": False,
    "providerKey": {"k": 1},
}
DELIVER_STREAM = {
    "progressReport": {
        "progressReportDelayInMilliseconds": 3000,
        "progressReportPositionInMilliseconds": 50000,
    },
    "token": "TR-NM-4435786",
    "url": "https://aod.musicservice.net/TR-NM-4435786.mp3",
    "urlPlayable": True,
    "expiresAt": "2030-01-01T00:00:00Z",
}


def _directive(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    header = {"namespace": "AudioPlayer", "name": name, "messageId": f"m-{name}"}
    return {"directive": {"header": header, "payload": payload}}


PLAY = _directive(
    "Play",
    {"audioItem": {"audioItemId": "i-1", "stream": PLAY_STREAM}, "playBehavior": "REPLACE_ALL"},
)
DELIVER = _directive("StreamDeliver", {"audioItemId": "i-1", "stream": DELIVER_STREAM})


def _merged() -> tuple[dict[str, Any], Any]:
    play = parse_directive(copy.deepcopy(PLAY)).payload
    deliver = parse_directive(copy.deepcopy(DELIVER)).payload
    return merge_stream(play.audio_item.stream.raw, deliver.stream.raw), play


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("progressReport.progressReportDelayInMilliseconds", 3000),  # null in Play: added
        ("progressReport.progressReportIntervalInMilliseconds", 20000),  # only in Play: kept
        ("progressReport.progressReportPositionInMilliseconds", 50000),  # both: StreamDeliver's
        ("url", "https://aod.musicservice.net/TR-NM-4435786.mp3"),  # both: replaced
        ("urlPlayable", True),
        ("token", "TR-NM-4435786"),
        ("beginAtInMilliseconds", 0),  # only in Play
        ("providerKey", {"k": 1}),  # a provider field only in Play
        ("expiresAt", "2030-01-01T00:00:00Z"),  # a provider field only in StreamDeliver
    ],
)
def test_merge_stream_worked_example(path: str, value: Any) -> None:
    merged, _ = _merged()
    node: Any = merged
    for key in path.split("."):
        node = node[key]
    assert node == value


def test_merge_keeps_the_stored_play_and_reports_the_merged_stream() -> None:
    merged, play = _merged()
    assert play.audio_item.stream.raw == PLAY_STREAM  # the stored Play is not modified
    assert play.audio_item.stream.url_playable is False
    merged["progressReport"]["progressReportDelayInMilliseconds"] = 1  # and shares nothing
    assert play.audio_item.stream.raw == PLAY_STREAM
    merged, _ = _merged()
    state = PlaybackState(player_activity=PlayerActivity.PLAYING, offset_ms=5, stream=merged)
    assert state.context()["payload"]["stream"] == merged
    assert list(merged) == [*PLAY_STREAM, "expiresAt"]  # Play's field order, new fields after
