"""Which demuxer libVLC should use for a media: its own, or libavformat's.

Measured (libVLC 3.0.24, docs/ARCHITECTURE.md "Decisions"): over an HTTP server with Range
support libVLC's own MP4 demuxer plays an .m4a to its end while its clock stays at 250 ms; its
Ogg demuxer ticks once a page (~1 s, the first tick ~0.93 s after the sound starts); its HLS
(adaptive) demuxer ticks in segment-sized steps that run up to a second behind the sound and
starts a ``:start-time`` at the segment boundary; its ADTS demuxer ticks ~140 ms after the
first sound, has no length at the start and begins a ``:start-time`` of 3000 at ~256; its FLAC
demuxer begins 3000 at ~3130. libavformat's demuxer (``:demux=avformat``, in vlc-plugin-base)
ticks every ~250 ms with the sound for all of them and starts where asked; for MP3 it finds no
audio, so MP3 and WAV (right as they are) keep libVLC's own demuxer.

The container is known from the URL's name when it has a telling suffix; otherwise the first
bytes (and the Content-Type) of the media decide: ``sniff`` reads them with one small ranged
GET, ``from_head`` is the pure part.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import urlsplit

SNIFF_BYTES = 64
SNIFF_TIMEOUT_S = 2.0


class Container(StrEnum):
    MP4 = "mp4"
    OGG = "ogg"
    HLS = "hls"
    ADTS = "adts"  # AAC in ADTS
    FLAC = "flac"
    OTHER = "other"  # MP3, WAV, ...: libVLC's own demuxers are right
    UNKNOWN = "unknown"


_SUFFIXES = {
    **dict.fromkeys((".m4a", ".mp4", ".m4b", ".m4p", ".m4v", ".mov", ".3gp"), Container.MP4),
    **dict.fromkeys((".ogg", ".oga", ".opus", ".ogx"), Container.OGG),
    **dict.fromkeys((".m3u8",), Container.HLS),
    **dict.fromkeys((".aac", ".adts"), Container.ADTS),
    **dict.fromkeys((".flac",), Container.FLAC),
    **dict.fromkeys((".mp3", ".wav", ".mpga", ".mp2"), Container.OTHER),
}

_CONTENT_TYPES = {
    "audio/mp4": Container.MP4,
    "audio/x-m4a": Container.MP4,
    "audio/m4a": Container.MP4,
    "video/mp4": Container.MP4,
    "audio/ogg": Container.OGG,
    "audio/opus": Container.OGG,
    "application/ogg": Container.OGG,
    "application/vnd.apple.mpegurl": Container.HLS,
    "application/x-mpegurl": Container.HLS,
    "audio/mpegurl": Container.HLS,
    "audio/x-mpegurl": Container.HLS,
    "audio/aac": Container.ADTS,
    "audio/aacp": Container.ADTS,
    "audio/flac": Container.FLAC,
    "audio/x-flac": Container.FLAC,
}


def from_name(url: str) -> Container:
    """The container a URL's path names by its suffix; UNKNOWN when it names none."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return _SUFFIXES.get(suffix, Container.UNKNOWN)


def from_head(head: bytes, content_type: str | None = None) -> Container:
    """The container of a media from its first bytes, else from its Content-Type."""
    if head[4:8] == b"ftyp":
        return Container.MP4
    if head.startswith(b"OggS"):
        return Container.OGG
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"#EXTM3U"):
        return Container.HLS
    if head.startswith(b"fLaC"):
        return Container.FLAC
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Container.ADTS  # MPEG sync with layer 0: AAC; MP3 has layer bits set
    if head:
        return Container.OTHER
    kind = (content_type or "").split(";")[0].strip().lower()
    return _CONTENT_TYPES.get(kind, Container.UNKNOWN)


def demux_option(container: Container) -> str | None:
    """The media option that picks the right demuxer; None for libVLC's own choice."""
    if container in (Container.MP4, Container.OGG, Container.HLS, Container.ADTS, Container.FLAC):
        return ":demux=avformat"
    return None


def needs_sniff(url: str) -> bool:
    """An HTTP(S) URL whose name does not tell its container."""
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("http", "https") and from_name(url) is Container.UNKNOWN


def sniff(url: str, timeout_s: float = SNIFF_TIMEOUT_S) -> Container:
    """Blocking: the container of ``url`` from its first bytes (redirects followed); UNKNOWN
    when the server cannot be read (libVLC then opens it and reports why it cannot)."""
    request = urllib.request.Request(url, headers={"Range": f"bytes=0-{SNIFF_BYTES - 1}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            head = response.read(SNIFF_BYTES)
            return from_head(head, response.headers.get("Content-Type"))
    except (OSError, urllib.error.URLError, ValueError):
        return Container.UNKNOWN


def container_of(url: str, data: bytes | None = None) -> Container:
    """Blocking when the URL must be sniffed; otherwise pure."""
    if data is not None:
        return from_head(data[:SNIFF_BYTES])
    if needs_sniff(url):
        return sniff(url)
    return from_name(url)
