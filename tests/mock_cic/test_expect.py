from __future__ import annotations

import pytest

from clova_client.mock_cic.expect import (
    MISSING,
    check,
    format_mismatches,
    is_subsequence,
    matches,
    parse_path,
    resolve,
    validate,
)

EVENT = {
    "context": [
        {"header": {"namespace": "Speaker", "name": "VolumeState"}, "payload": {"volume": 5}},
        {
            "header": {"namespace": "AudioPlayer", "name": "PlaybackState"},
            "payload": {"playerActivity": "PLAYING", "offsetInMilliseconds": 1500, "muted": False},
        },
    ],
    "event": {"header": {"name": "PlayStarted"}, "payload": {"audioItemId": "x"}},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("context[1].payload.playerActivity", "PLAYING"),
        ("context[-1].payload.offsetInMilliseconds", 1500),
        ("context[AudioPlayer.PlaybackState].payload.playerActivity", "PLAYING"),
        ("event.payload.audioItemId", "x"),
        ("event.payload.nothing", MISSING),
        ("context[7].payload", MISSING),
    ],
)
def test_resolve(path: str, value: object) -> None:
    assert resolve(EVENT, path) == value or resolve(EVENT, path) is value


def test_check_reports_each_differing_field() -> None:
    mismatches = check(
        EVENT,
        {
            "context[AudioPlayer.PlaybackState].payload.playerActivity": "PAUSED",
            "event.payload.audioItemId": "x",
            "event.payload.token": "t",
            "context[1].payload.offsetInMilliseconds": {"$gte": 1000},
            "context[1].payload.muted": 0,
        },
    )
    assert [m.path for m in mismatches] == [
        "context[AudioPlayer.PlaybackState].payload.playerActivity",
        "event.payload.token",
        "context[1].payload.muted",
    ]
    text = format_mismatches(mismatches)
    assert '    expected: "PAUSED"\n    got:      "PLAYING"' in text
    assert '    expected: "t"\n    got:      <missing>' in text


def test_matchers() -> None:
    assert not check(EVENT, {"event.payload.audioItemId": {"$regex": "^x$"}})
    assert not check(EVENT, {"event.payload.gone": {"$exists": False}})
    assert not check(EVENT, {"event.payload.audioItemId": {"$in": ["x", "y"]}})
    assert check(EVENT, {"context[1].payload.offsetInMilliseconds": {"$lt": 1000}})


def test_subsequence() -> None:
    assert is_subsequence(["a", "c"], ["a", "b", "c"])
    assert not is_subsequence(["c", "a"], ["a", "b", "c"])


def test_several_operators_in_one_matcher_must_all_hold() -> None:
    window = {"$gte": 900, "$lte": 1100}
    assert matches(window, 1000)
    assert not matches(window, 899)
    assert not matches(window, 1101)


@pytest.mark.parametrize(
    "path", ["event..payload", "event.", ".event", "a[0", "a]b", "", "context[0]payload"]
)
def test_malformed_paths(path: str) -> None:
    with pytest.raises(ValueError, match="malformed field path"):
        parse_path(path)


def test_validate_names_the_bad_matcher() -> None:
    validate("context[AudioPlayer.PlaybackState].payload.x", {"$gte": 1, "$lt": 2})
    with pytest.raises(ValueError, match=r"unknown matcher '\$approx' \(known: \$exists"):
        validate("event.payload.x", {"$approx": 1})
    with pytest.raises(ValueError, match=r"'\$ne' inside an expected value"):
        validate("event.payload", {"list": [{"$ne": 1}]})
