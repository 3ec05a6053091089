"""``cid:`` data played from memory through ``media_new_callbacks``.

No file on the SD card, no temporary file to leak when the process dies, nothing readable by
other users, and it is seekable (start offsets and seeks work like a local file).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import vlc


class MemoryInput:
    """Serves bytes to libVLC (one cursor per open). The callbacks run on VLC threads."""

    def __init__(self, data: bytes) -> None:
        self._size = len(data)
        self._buf = ctypes.create_string_buffer(data, max(1, self._size))
        self._lock = threading.Lock()
        self._cursors: dict[int, int] = {}
        self._next = 1
        cb = vlc.CallbackDecorators
        self.open_cb = cb.MediaOpenCb(self._open)
        self.read_cb = cb.MediaReadCb(self._read)
        self.seek_cb = cb.MediaSeekCb(self._seek)
        self.close_cb = cb.MediaCloseCb(self._close)

    def media(self, instance: Any) -> Any:
        """A new libVLC media reading from this input (keep the input alive as long)."""
        return instance.media_new_callbacks(
            self.open_cb, self.read_cb, self.seek_cb, self.close_cb, None
        )

    def _open(self, opaque: Any, datap: Any, sizep: Any) -> int:
        with self._lock:
            cursor = self._next
            self._next += 1
            self._cursors[cursor] = 0
        datap[0] = cursor
        sizep[0] = self._size
        return 0

    def _read(self, opaque: Any, buf: Any, length: int) -> int:
        key = opaque or 0
        with self._lock:
            pos = self._cursors.get(key)
            if pos is None:
                return -1
            n = max(0, min(length, self._size - pos))
            self._cursors[key] = pos + n
        if n:
            ctypes.memmove(buf, ctypes.addressof(self._buf) + pos, n)
        return n

    def _seek(self, opaque: Any, offset: int) -> int:
        key = opaque or 0
        with self._lock:
            if key not in self._cursors or offset > self._size:
                return -1
            self._cursors[key] = offset
        return 0

    def _close(self, opaque: Any) -> None:
        with self._lock:
            self._cursors.pop(opaque or 0, None)
