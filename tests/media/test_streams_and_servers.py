"""What must stay right (issue 18): a live Icecast stream, a 302, a signed URL, a 410 skipped
with the next item playing, and the "ended early" guard: a truncated MP3 still ends as a broken
stream, while every file that played to its end finishes (``test_formats.py`` checks that no
play of the matrix is ever abandoned). With the null output and with PulseAudio.
"""

from __future__ import annotations

import re

import pytest

from tests.media.analysis import PlayView
from tests.media.checks import END_MS, OFFSET_MS, Checker, Due, check_whole_play
from tests.media.conftest import Results, job
from tests.media.jobs import LIVE_STOP_AFTER_S, OUTPUTS, Servers
from tests.media.test_formats import FROM_START
from tests.support.nginx import SIGNED_QUERY

pytestmark = [pytest.mark.vlc, pytest.mark.media]


def keys(kind: str) -> list[object]:
    return [pytest.param(f"{output}-{kind}", id=f"{output}-{kind}") for output in OUTPUTS]


@pytest.mark.parametrize("key", keys("live"))
def test_a_live_stream_reports_while_live_and_stops_without_finishing(
    matrix: Results, key: str
) -> None:
    play = job(matrix, key).play("live")
    check = Checker(play)
    check.totals(live=True)
    sound = check.sound()
    if sound is not None:
        first, _ = sound
        check.started(first, None)
        due = [
            Due("Delay", 1000, playback_ms=1000),
            Due("Interval", 2000, playback_ms=2000),
            Due("Interval", 4000, playback_ms=4000),
            Due("Position", 4500, playback_ms=4500),  # a live stream's position is playback
        ]
        check.reports(first, 0.0, due, media=False)
        stop = play.command("stop")
        stopped = play.named("PlayStopped")
        if play.names() != ["PlayStarted", "PlayStopped"] or not stopped:
            check.fail(f"events {play.names()}: expected PlayStarted, PlayStopped (no Finished)")
        else:
            played = round((stop["at"] - first) * 1000)
            check.measured["stopped_offset"] = stopped[0]["offset"]
            check.measured["played_at_stop_ms"] = played
            if abs((stopped[0]["offset"] or 0) - played) > OFFSET_MS:
                check.fail(f"PlayStopped says {stopped[0]['offset']}, {played} ms had played")
    assert LIVE_STOP_AFTER_S > 4.6  # every report comes before the stop
    assert not check.problems, check.verdict()


@pytest.mark.parametrize("key", keys("redirect"))
def test_a_302_plays_what_it_points_to(matrix: Results, matrix_servers: Servers, key: str) -> None:
    result = job(matrix, key)
    check = check_whole_play(
        result.play("redirect"), 0, FROM_START, result.logged("player.item_abandoned")
    )
    assert not check.problems, check.verdict()
    statuses = {(r.status, r.request.split()[1]) for r in matrix_servers.web.requests()}
    assert (302, "/redirect/chirp-cbr.mp3") in statuses
    assert {s for s, path in statuses if path == "/media/chirp-cbr.mp3"} <= {200, 206}


@pytest.mark.parametrize("key", keys("signed"))
def test_a_signed_url_is_sent_as_given_and_never_logged(
    matrix: Results, matrix_servers: Servers, key: str
) -> None:
    result = job(matrix, key)
    check = check_whole_play(
        result.play("signed"), 0, FROM_START, result.logged("player.item_abandoned")
    )
    assert not check.problems, check.verdict()
    signed = [r for r in matrix_servers.web.requests() if r.request.split()[1].startswith("/s")]
    # nginx answers 403 unless the query comes back byte for byte, escapes included.
    assert signed and {r.status for r in signed} <= {200, 206}, signed
    assert all(r.request.split()[1].endswith(SIGNED_QUERY) for r in signed)
    for secret in ("Signature", "q%2Bv7", "q+v7", "Key-Pair-Id"):
        assert secret not in result.log_text, f"{secret} in the log"
        assert secret not in result.stderr, f"{secret} on stderr"
    assert "/signed/chirp-cbr.mp3" in result.log_text  # the URL is logged, without its query


@pytest.mark.parametrize("key", keys("gone"))
def test_a_410_is_skipped_and_the_next_item_plays(matrix: Results, key: str) -> None:
    result = job(matrix, key)
    play = result.play("gone")
    assert [(e["name"], e["token"]) for e in play.events if e["name"].startswith("Play")] == [
        ("PlayStarted", "next"),
        ("PlayFinished", "next"),
    ]
    reasons = [a.get("reason") for a in result.logged("player.item_abandoned")]
    assert len(reasons) == 1 and "410" in str(reasons[0]), reasons
    raw = {**play.raw, "events": [e for e in play.events if e["token"] == "next"]}
    check = check_whole_play(PlayView(play.label, raw, play.rec, play.until), 0, FROM_START, [])
    assert not check.problems, check.verdict()


@pytest.mark.parametrize("key", keys("truncated"))
def test_a_truncated_mp3_still_ends_early_and_a_whole_one_never_does(
    matrix: Results, key: str
) -> None:
    result = job(matrix, key)
    play = result.play("truncated")
    check = Checker(play)
    sound = check.sound()
    assert sound is not None, check.verdict()
    first, last = sound
    check.started(first, 0)
    assert play.names() == ["PlayStarted", "PlayStopped"], play.names(progress=True)
    abandoned = result.logged("player.item_abandoned")
    assert len(abandoned) == 1, abandoned
    found = re.fullmatch(r"ended early at (\d+) of (\d+) ms", str(abandoned[0].get("reason")))
    assert found, abandoned[0]
    at_ms, of_ms = int(found[1]), int(found[2])
    played = (last - first) * 1000
    stopped = play.one("PlayStopped")
    check.measured.update(ended_at=at_ms, of=of_ms, played_ms=round(played))
    assert abs(of_ms - 5500) <= OFFSET_MS, check.verdict()  # the header's whole length
    assert abs(at_ms - played) <= END_MS, check.verdict()  # where the sound really stopped
    assert abs((stopped["offset"] or 0) - played) <= END_MS, check.verdict()
    assert abs(stopped["at"] - last) <= END_MS / 1000, check.verdict()
    # The whole file (same encoding, same server) played to its end is never "ended early":
    whole = check_whole_play(result.play("whole"), 0, FROM_START, abandoned)
    assert not whole.problems, whole.verdict()
