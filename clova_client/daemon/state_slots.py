"""``player.state``: the player snapshot in one of two slots, its position in the slot's header,
both overwritten in place (no new inode, no rename: an SD card pays for metadata churn).

Layout: two slots of ``S`` bytes; the file is ``2 * S``. A slot is a 32-byte header (``CCS1``,
generation u64, offset in ms u64, body length u32, CRC-32 of the body u32, CRC-32 of the 28
bytes before u32), then the body: the snapshot as zlib-compressed JSON. ``S`` is 2048 while a
slot fits in it (a queue of a dozen items), so both slots share one 4 KiB page and the kernel
writes one page back per write-back cycle whatever was saved in it; else a multiple of 4096.
A snapshot goes into the slot its generation names (``generation % 2``), so the other keeps the
one before; a position tick rewrites only the current slot's header. Reading takes the valid
slot with the highest generation: a write torn by a crash or a power cut fails its CRC and the
slot before is used. The file is made (or grown, for a snapshot that no longer fits) whole, by
a rename.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

PAGE = 4096
_MAGIC = b"CCS1"
_HEAD = struct.Struct("<4sQQII")
_CRC = struct.Struct("<I")
HEAD_SIZE = _HEAD.size + _CRC.size


@dataclass(frozen=True)
class Slot:
    generation: int
    offset_ms: int
    body: bytes
    """The snapshot's JSON."""


def _header(generation: int, offset_ms: int, body_len: int, body_crc: int) -> bytes:
    head = _HEAD.pack(_MAGIC, generation, max(0, offset_ms), body_len, body_crc)
    return head + _CRC.pack(zlib.crc32(head))


class SlotFile:
    """The file, kept open. ``write_*`` raise OSError (disk trouble); ``read`` never does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._size = 0
        self._current: tuple[int, int, int] | None = None
        """Generation, body length and CRC of the last snapshot written: what a tick extends."""

    def write_snapshot(self, generation: int, offset_ms: int, snapshot: bytes) -> None:
        body = zlib.compress(snapshot)
        data = _header(generation, offset_ms, len(body), zlib.crc32(body)) + body
        slot_size = self._open_size() // 2
        if len(data) > slot_size:
            self._create(generation % 2, data)
        else:
            self._pwrite(data, (generation % 2) * slot_size)
        self._current = (generation, len(body), zlib.crc32(body))

    def write_position(self, offset_ms: int) -> bool:
        """Rewrite the current slot's header with ``offset_ms``; False if no snapshot was
        written by this process yet (write one)."""
        if self._current is None or self._fd is None:
            return False
        generation, length, crc = self._current
        self._pwrite(
            _header(generation, offset_ms, length, crc), (generation % 2) * self._size // 2
        )
        return True

    def read(self) -> Slot | None:
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        half = len(data) // 2
        slots = [s for s in (_parse(data[:half]), _parse(data[half:])) if s is not None]
        return max(slots, key=lambda s: s.generation, default=None)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open_size(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                return 0
            size = os.fstat(self._fd).st_size
            self._size = size if size == PAGE or size % (2 * PAGE) == 0 else 0  # else made anew
        return self._size

    def _create(self, slot: int, data: bytes) -> None:
        """A new file, ``data`` in ``slot``: both slots in one page if it fits, else slots
        sized for twice it, in whole pages."""
        slot_size = PAGE // 2 if len(data) <= PAGE // 2 else -(-2 * len(data) // PAGE) * PAGE
        tmp = self.path.with_suffix(".tmp")
        self.close()
        self._current = None
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                empty = bytes(slot_size - len(data))  # every block exists: no ENOSPC later
                body = (
                    (data + empty + bytes(slot_size))
                    if slot == 0
                    else (bytes(slot_size) + data + empty)
                )
                if os.write(fd, body) != len(body):
                    raise OSError(errno.EIO, "short write", str(tmp))
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        self._fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        self._size = 2 * slot_size

    def _pwrite(self, data: bytes, at: int) -> None:
        assert self._fd is not None
        try:
            if os.pwrite(self._fd, data, at) != len(data):
                raise OSError(errno.EIO, "short write", str(self.path))
        except OSError:
            self.close()  # opened again on the next try
            raise


def _parse(slot: bytes) -> Slot | None:
    if len(slot) < HEAD_SIZE:
        return None
    head = slot[: _HEAD.size]
    magic, generation, offset_ms, length, body_crc = _HEAD.unpack(head)
    (head_crc,) = _CRC.unpack(slot[_HEAD.size : HEAD_SIZE])
    body = slot[HEAD_SIZE : HEAD_SIZE + length]
    if magic != _MAGIC or head_crc != zlib.crc32(head) or len(body) != length:
        return None
    if zlib.crc32(body) != body_crc:
        return None
    try:
        return Slot(generation, offset_ms, zlib.decompress(body))
    except zlib.error:
        return None
