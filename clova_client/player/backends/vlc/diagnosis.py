"""Why libVLC could not open a media: read from libVLC's own log (``libvlc_log_set``).

libVLC reports a failed open only as ``MediaPlayerEncounteredError``; the cause (an HTTP status,
a refused connection, an unknown host, a TLS failure) is in its log, on the input's own thread,
ending with ``VLC is unable to open the MRL '<url>'``. The callback keeps each thread's last
error lines and, at that closing line, files the cause under the URL; the source asks for it
when its error event reaches the loop. Only error-level lines are formatted at all.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections import OrderedDict, deque
from typing import Any

import vlc

LIBVLC_ERROR = 4
"""libVLC's log level of errors (LIBVLC_ERROR)."""
KEPT_LINES = 12
KEPT_CAUSES = 32

NOT_AUDIO = "not audio: the media ended without any decodable audio"
OPEN_FAILED = "libVLC could not open or read the media"
"""The cause when the log said nothing this module recognises."""

_UNABLE = re.compile(r"VLC is unable to open the MRL '(?P<mrl>.*)'")
_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"HTTP (?P<status>\d{3}) error"), "HTTP {status} from the media server"),
    (re.compile(r"cannot resolve (?P<host>[^\s:]+)"), "DNS failure: cannot resolve {host}"),
    (re.compile(r"Connection refused"), "connection refused by the media server"),
    (re.compile(r"TLS .*(error|failure)", re.IGNORECASE), "TLS failure: the handshake failed"),
    (re.compile(r"timed out", re.IGNORECASE), "timeout connecting to the media server"),
)

_libc = ctypes.CDLL(None)
_vsnprintf = _libc.vsnprintf
_vsnprintf.restype = ctypes.c_int
_vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]


def cause_of(lines: list[str]) -> str | None:
    """The technician's reason for the error lines of one failed open, or None."""
    for pattern, text in _CAUSES:
        for line in lines:
            found = pattern.search(line)
            if found:
                return text.format(**found.groupdict())
    return None


class LogDiagnosis:
    """Attached to one libVLC instance; thread-safe."""

    def __init__(self, instance: Any) -> None:
        self._lines: dict[int, deque[str]] = {}
        self._causes: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._callback = vlc.CallbackDecorators.LogCb(self._on_log)  # kept: libVLC calls it
        instance.log_set(self._callback, None)

    def cause(self, url: str) -> str:
        """Why ``url`` could not be opened (and forget it)."""
        with self._lock:
            for mrl in list(self._causes):
                if mrl == url or _same_resource(mrl, url):
                    return self._causes.pop(mrl)
        return OPEN_FAILED

    def _on_log(self, data: Any, level: int, ctx: Any, fmt: bytes, args: Any) -> None:
        if level < LIBVLC_ERROR:
            return
        try:
            buffer = ctypes.create_string_buffer(512)
            _vsnprintf(buffer, len(buffer), fmt, args)
            line = buffer.value.decode("utf-8", "replace")
        except Exception:  # never raise into libVLC
            return
        thread = threading.get_ident()
        with self._lock:
            lines = self._lines.setdefault(thread, deque(maxlen=KEPT_LINES))
            closing = _UNABLE.search(line)
            if closing is None:
                lines.append(line)
                return
            cause = cause_of(list(lines))
            lines.clear()
            if cause is not None:
                self._causes[closing["mrl"]] = cause
                while len(self._causes) > KEPT_CAUSES:
                    self._causes.popitem(last=False)


def _same_resource(mrl: str, url: str) -> bool:
    """libVLC may show the URL decoded or re-encoded: compare what both start with."""
    return mrl.split("?", 1)[0] == url.split("?", 1)[0]
