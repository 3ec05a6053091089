"""The real daemon against the real mock CIC (HTTP/2 over TLS) playing what services serve: AAC in
MP4 (moov last) and Ogg Vorbis from nginx, one after the other (issue 18). Each plays to its end:
PlayFinished with the length, never PlayStopped, with its progress reports on their offsets.
The media matrix (``tests/media``) measures the same against the real output; this checks the
whole way through the daemon and CIC.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clova_client.mock_cic import MockCicServer
from tests.support.matrix_fixtures import matrix_media_dir, matrix_nginx  # noqa: F401
from tests.support.matrix_media import BY_NAME, LENGTH_MS
from tests.support.nginx import Nginx

from .conftest import DaemonProcess
from .helpers import (
    DEVICE,
    audio_events,
    play,
    playback_state,
    settle,
    token_of,
    wait_count,
    wait_event,
)

pytestmark = [pytest.mark.e2e, pytest.mark.media]

PROGRESS = {
    "progressReportDelayInMilliseconds": 1000,
    "progressReportIntervalInMilliseconds": 2000,
    "progressReportPositionInMilliseconds": 4500,
}
REPORTS = [
    ("AudioPlayer.ProgressReportDelayPassed", 1000),
    ("AudioPlayer.ProgressReportIntervalPassed", 2000),
    ("AudioPlayer.ProgressReportIntervalPassed", 4000),
    ("AudioPlayer.ProgressReportPositionPassed", 4500),
]


async def test_m4a_and_ogg_play_to_their_end_and_finish(
    mock: MockCicServer,
    running: DaemonProcess,
    matrix_nginx: Nginx,  # noqa: F811
    matrix_media_dir: Path,  # noqa: F811
) -> None:
    items = {"m4a": BY_NAME["m4a-moov-last"], "ogg": BY_NAME["ogg-vorbis"]}
    for n, (token, encoding) in enumerate(items.items()):
        stream = {
            "token": token,
            "url": matrix_nginx.url("media", encoding.path),
            "urlPlayable": True,
            "beginAtInMilliseconds": 0,
            "progressReport": PROGRESS,
        }
        await mock.push(DEVICE, play(token, stream, behavior="ENQUEUE" if n else "REPLACE_ALL"))
    # The second item starts once the first has ended, however it ended; then its own end.
    await wait_count(mock, "AudioPlayer.PlayStarted", 2, timeout=20)
    finished = len(mock.events(DEVICE, "AudioPlayer.PlayFinished"))
    try:
        await wait_event(mock, "AudioPlayer.PlayFinished", index=finished, timeout=15)
    finally:
        await settle(mock)
    events = audio_events(mock)
    plays = [(e.name, token_of(e)) for e in events if not e.name.startswith("AudioPlayer.Prog")]
    assert plays == [
        ("AudioPlayer.PlayStarted", "m4a"),
        ("AudioPlayer.PlayFinished", "m4a"),
        ("AudioPlayer.PlayStarted", "ogg"),
        ("AudioPlayer.PlayFinished", "ogg"),
    ], [(e.name, token_of(e), playback_state(e).get("offsetInMilliseconds")) for e in events]
    for token in items:
        mine = [e for e in events if token_of(e) == token]
        reports = [
            (e.name, playback_state(e)["offsetInMilliseconds"])
            for e in mine
            if e.name.startswith("AudioPlayer.Prog")
        ]
        assert [name for name, _ in reports] == [name for name, _ in REPORTS], (token, reports)
        for (_, offset), (_, target) in zip(reports, REPORTS, strict=True):
            assert abs(offset - target) <= 100, (token, reports)
        end = playback_state(next(e for e in mine if e.name.endswith("PlayFinished")))
        assert abs(end["offsetInMilliseconds"] - LENGTH_MS) <= 300, (token, end)
        assert abs(end["totalInMilliseconds"] - LENGTH_MS) <= 300, (token, end)
    assert not running.logged("player.item_abandoned")
