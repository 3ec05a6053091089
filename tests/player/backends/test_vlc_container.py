"""Which demuxer a media gets (player/backends/vlc/container.py), and the regression it
fixes: an .m4a served with Range support plays to its end with a ticking clock and ends
with PlayFinished.

Real parts: ffmpeg makes the AAC-in-MP4 file, the project's aiohttp media server serves it with
Range support, libVLC plays it through the paced null output.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clova_client.player.backends.vlc.container import (
    Container,
    container_of,
    demux_option,
    from_head,
    from_name,
    needs_sniff,
    sniff,
)
from tests.player.backends.test_vlc_scenarios import RigFactory, make_rig  # noqa: F401  (fixture)
from tests.player.helpers import play
from tests.support.fixtures import media_dir, media_server  # noqa: F401  (fixtures)
from tests.support.matrix_media import ffmpeg_encode
from tests.support.media import media_file
from tests.support.media_server import MediaServer

MP4_HEAD = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00"


@pytest.mark.parametrize(
    ("url", "container"),
    [
        ("https://cdn.example/a/track.m4a?sig=abc%2Fdef", Container.MP4),
        ("http://h/x.MP4", Container.MP4),
        ("http://h/x.ogg", Container.OGG),
        ("http://h/x.opus", Container.OGG),
        ("http://h/live/index.m3u8", Container.HLS),
        ("http://h/x.mp3", Container.OTHER),
        ("http://h/x.aac", Container.ADTS),
        ("http://h/x.flac", Container.FLAC),
        ("http://h/x.wav", Container.OTHER),
        ("http://h/stream/12345", Container.UNKNOWN),
        ("http://h/redirect?to=x.m4a", Container.UNKNOWN),
    ],
)
def test_the_name_tells_the_container_when_it_has_a_telling_suffix(
    url: str, container: Container
) -> None:
    assert from_name(url) is container


def test_first_bytes_tell_the_container() -> None:
    assert from_head(MP4_HEAD) is Container.MP4
    assert from_head(b"OggS\x00\x02") is Container.OGG
    assert from_head(b"#EXTM3U\n#EXT-X-VERSION:3") is Container.HLS
    assert from_head(b"\xef\xbb\xbf#EXTM3U\n") is Container.HLS
    assert from_head(b"ID3\x04\x00") is Container.OTHER
    assert from_head(b"\xff\xfb\x90\x64") is Container.OTHER  # MPEG-1 layer III: MP3
    assert from_head(b"\xff\xf1\x50\x80") is Container.ADTS  # layer 0: AAC
    assert from_head(b"fLaC\x00\x00") is Container.FLAC
    assert from_head(b"", "audio/mp4; charset=binary") is Container.MP4
    assert from_head(b"", "application/x-mpegURL") is Container.HLS
    assert from_head(b"", None) is Container.UNKNOWN


def test_only_mp3_wav_and_the_unknown_keep_libvlcs_demuxer() -> None:
    for container in (Container.MP4, Container.OGG, Container.HLS, Container.ADTS, Container.FLAC):
        assert demux_option(container) == ":demux=avformat"
    assert demux_option(Container.OTHER) is None
    assert demux_option(Container.UNKNOWN) is None


def test_only_http_urls_without_a_telling_name_are_sniffed() -> None:
    assert needs_sniff("https://h/stream/1?sig=x")
    assert not needs_sniff("https://h/stream/1.m4a?sig=x")
    assert not needs_sniff("/var/lib/music/track")
    assert container_of("cid:x", MP4_HEAD + b"rest") is Container.MP4


async def test_a_url_without_a_telling_name_is_sniffed_from_its_first_bytes(
    media_server: MediaServer,  # noqa: F811
) -> None:
    (media_server.directory / "track-mp4").write_bytes(MP4_HEAD + bytes(4096))
    (media_server.directory / "track-ogg").write_bytes(b"OggS" + bytes(4096))
    mp4 = await asyncio.to_thread(sniff, media_server.url("range", "track-mp4"))
    ogg = await asyncio.to_thread(sniff, media_server.url("range", "track-ogg"))
    missing = await asyncio.to_thread(sniff, media_server.url("missing", "track-mp4"))
    assert (mp4, ogg, missing) == (Container.MP4, Container.OGG, Container.UNKNOWN)
    ranges = [r.range for r in media_server.requests if r.path.endswith("track-mp4")]
    assert "bytes=0-63" in ranges


def _encoded(directory: Path, length_ms: int, suffix: str, *args: str) -> Path:
    """The suite's noise WAV encoded by ffmpeg with ``args`` (made once per directory)."""
    out = directory / f"noise-{length_ms}ms{suffix}"
    if not out.exists():
        ffmpeg_encode(media_file(directory, "wav", length_ms).path, out, *args)
    return out


def _m4a(directory: Path, length_ms: int) -> Path:
    """AAC in MP4, moov first."""
    return _encoded(directory, length_ms, ".m4a", "-c:a", "aac", "-movflags", "+faststart")


@pytest.mark.vlc
async def test_an_m4a_over_range_http_ticks_and_finishes(make_rig: RigFactory) -> None:  # noqa: F811
    rig = await make_rig()
    name = _m4a(rig.server.directory, 3000).name
    url = rig.server.url("range", name)
    await rig.audio.play(play("m4a", url=url, delay=1000, interval=None, position=None))
    delay = await rig.wait_for("ProgressReportDelayPassed")
    end = await rig.wait_for("PlayFinished")
    assert not rig.named("PlayStopped")
    assert abs(delay.state["offsetInMilliseconds"] - 1000) <= 100
    assert abs(end.state["offsetInMilliseconds"] - 3000) <= 300


def _adts(directory: Path, length_ms: int) -> Path:
    """AAC in ADTS (.aac)."""
    return _encoded(directory, length_ms, ".aac", "-c:a", "aac", "-f", "adts")


@pytest.mark.vlc
async def test_the_first_pcm_block_is_the_start_of_sound(make_rig: RigFactory) -> None:  # noqa: F811
    """libVLC's first tick for ADTS AAC comes ~140 ms after its first PCM block, carrying ~131:
    the null output's first block is the start, at the start position."""
    rig = await make_rig()
    url = rig.server.url("range", _adts(rig.server.directory, 2000).name)
    await rig.audio.play(play("adts", url=url, delay=None, interval=None, position=None))
    started = await rig.wait_for("PlayStarted")
    assert started.state["offsetInMilliseconds"] <= 25
    await rig.wait_for("PlayFinished")
