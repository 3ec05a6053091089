"""parse_message: every message shape is told apart, and a bad one names its field."""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.protocol import ProtocolError
from clova_client.protocol.validate import UNKNOWN, Kind, parse_message

from .spec import doc

ACTIVITIES = "input should be 'IDLE', 'PLAYING', 'PAUSED' or 'STOPPED'"
NOT_AN_INT = "input should be a valid integer, unable to parse string as an integer"
DELAY = "progressReport.progressReportDelayInMilliseconds"
EVENT = {"namespace": "AudioPlayer", "name": "PlayStarted", "payload": {}}
STATE_HEADER = {"namespace": "AudioPlayer", "name": "PlaybackState"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"url": 5}, ["url: input should be a valid string"]),
        ({"token": "t", "progressReport": {DELAY.split(".")[1]: "x"}}, [f"{DELAY}: {NOT_AN_INT}"]),
        (
            {"audioItem": {"audioItemId": "a", "stream": {"url": "u"}}},
            ["playBehavior: field required"],
        ),
        ({"playerActivity": "HUMMING"}, [f"playerActivity: {ACTIVITIES}"]),
        ({"category": 3}, ["category: input should be a valid string"]),
        ({"MediaPlayer": {"appStatus": "NORMAL"}}, ["MediaPlayer.playerActivity: field required"]),
        ({"header": STATE_HEADER, "payload": {}}, ["payload.playerActivity: field required"]),
        (
            {"context": {"AudioPlayer": {"playerActivity": 1}}, "request": {"event": EVENT}},
            [f"context.AudioPlayer.playerActivity: {ACTIVITIES}"],
        ),
    ],
)
def test_bad_messages_name_the_field(message: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(message)
    assert [str(e) for e in info.value.errors] == expected


def test_unknown_directives_are_ok_with_a_note() -> None:
    bare = {"header": {"namespace": "Alerts", "name": "SetAlert", "messageId": "m"}, "payload": {}}
    message = parse_message(bare)
    assert (message.kind, message.name, message.notes) == (
        Kind.DIRECTIVE,
        "Alerts.SetAlert",
        (UNKNOWN,),
    )
    response = doc("cek-audio-content__pause")
    response["response"]["directives"].append({"header": bare["header"], "payload": {}})
    message = parse_message(response)
    assert message.name == "PlaybackController.Pause, Alerts.SetAlert"
    assert message.notes == (f"Alerts.SetAlert: {UNKNOWN}",)


def test_a_bare_header_is_told_apart_by_its_name() -> None:
    event = doc("cic-audioplayer__play-started")["event"]
    assert parse_message(event).kind is Kind.EVENT
    context = doc("cic-audioplayer__play-started")["context"][0]
    assert parse_message(context).kind is Kind.CONTEXT
    directive = doc("cic-audioplayer__clear-queue")["directive"]
    assert parse_message(directive).kind is Kind.DIRECTIVE
