"""Why libVLC could not open a media: read from libVLC's own log.

libVLC reports a failed open only as ``MediaPlayerEncounteredError``; the cause (an HTTP status,
a refused connection, an unknown host, a TLS failure) is in its log, ending with ``VLC is unable
to open the MRL '<url>'``. libVLC writes its log into an in-memory file
(``libvlc_log_set_file``: C only), read back only when a source asks why it failed. A Python log
callback (``libvlc_log_set``) was called for every line, debug ones included: about 125 calls,
each taking the GIL on an input thread, for every media opened, which cost 2-3 ms of each start
(docs/PERFORMANCE.md). The lines carry no level now: the causes are searched in the lines just
before the closing one, the HTTP status first.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from collections import OrderedDict, deque
from typing import Any

import vlc

KEPT_LINES = 60
"""Lines before ``VLC is unable to open the MRL`` searched for its cause (a failed HTTP open
logs 25-55 lines, the error ones among the last)."""
KEPT_CAUSES = 32
TRIM_BYTES = 256 * 1024
"""The log file is emptied once it is this large (about 25 media opens)."""

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
_fdopen = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)(("fdopen", _libc))
_setvbuf = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
)(("setvbuf", _libc))
_fclose = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(("fclose", _libc))
_IOLBF = 1  # stdio.h: line buffered, so each line is in the file as soon as it is logged
_log_set_file = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(
    ("libvlc_log_set_file", vlc.dll)
)


def cause_of(lines: list[str]) -> str | None:
    """The technician's reason for the error lines of one failed open, or None."""
    for pattern, text in _CAUSES:
        for line in lines:
            found = pattern.search(line)
            if found:
                return text.format(**found.groupdict())
    return None


class LogDiagnosis:
    """Attached to one libVLC instance (``close`` after the instance is released);
    thread-safe."""

    def __init__(self, instance: Any) -> None:
        self._fd = os.memfd_create("libvlc-log", os.MFD_CLOEXEC)
        self._file = _fdopen(os.dup(self._fd), b"a")
        if not self._file:
            raise OSError("fdopen failed for libVLC's log file")
        _setvbuf(self._file, None, _IOLBF, 0)
        _log_set_file(instance._as_parameter_, self._file)
        self._lock = threading.Lock()
        self._read_to = 0
        self._recent: deque[str] = deque(maxlen=KEPT_LINES)
        self._causes: OrderedDict[str, str] = OrderedDict()

    def cause(self, url: str) -> str:
        """Why ``url`` could not be opened (and forget it)."""
        with self._lock:
            self._scan()
            for mrl in list(self._causes):
                if mrl == url or _same_resource(mrl, url):
                    return self._causes.pop(mrl)
        return OPEN_FAILED

    def trim(self) -> None:
        """Empty the log file once it is ``TRIM_BYTES`` long (its causes found first); the
        backend calls it before each open."""
        with self._lock:
            if os.fstat(self._fd).st_size >= TRIM_BYTES:
                self._scan()
                os.ftruncate(self._fd, 0)  # libVLC appends: its next line goes at 0
                self._read_to = 0

    def close(self) -> None:
        """After the instance is released (it writes no more)."""
        with self._lock:
            if self._file:
                _fclose(self._file)
                os.close(self._fd)
                self._file = None

    def _scan(self) -> None:
        """File the cause of every failed open logged since the last scan."""
        size = os.fstat(self._fd).st_size
        if size < self._read_to:  # emptied meanwhile
            self._read_to = 0
        data = os.pread(self._fd, size - self._read_to, self._read_to)
        whole = data.rfind(b"\n") + 1  # a line being written is read next time
        self._read_to += whole
        for line in data[:whole].decode("utf-8", "replace").splitlines():
            closing = _UNABLE.search(line)
            if closing is None:
                self._recent.append(line)
                continue
            cause = cause_of(list(self._recent))
            self._recent.clear()
            if cause is not None:
                self._causes[closing["mrl"]] = cause
                while len(self._causes) > KEPT_CAUSES:
                    self._causes.popitem(last=False)


def _same_resource(mrl: str, url: str) -> bool:
    """libVLC may show the URL decoded or re-encoded: compare what both start with."""
    return mrl.split("?", 1)[0] == url.split("?", 1)[0]
