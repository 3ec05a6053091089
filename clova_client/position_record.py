"""The playing position between two snapshots: a small fixed record overwritten in place.

``state_dir/position`` holds 24 bytes: ``CCP1``, the generation of the ``player.json`` snapshot
it belongs to (u64), the offset in milliseconds (u64) and a CRC-32 of the 20 bytes before.
Each save is one ``pwrite`` at offset 0 and no fsync: the page stays in the page cache, so a
process that dies (``kill -9``, a crash) loses none of it, and rewriting a page the kernel has
not written back yet costs no further disk write; the kernel writes it back within its dirty
expiry (``vm.dirty_expire_centisecs``, 30 s by default). A record that does not check out (torn,
zeroed, unknown) reads as None.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_MAGIC = b"CCP1"
_HEAD = struct.Struct("<4sQQ")
_CRC = struct.Struct("<I")
SIZE = _HEAD.size + _CRC.size


@dataclass(frozen=True)
class Position:
    generation: int
    offset_ms: int


class PositionRecord:
    """One file, kept open; ``write`` raises OSError (disk trouble), ``read`` never does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def write(self, position: Position) -> None:
        head = _HEAD.pack(_MAGIC, position.generation, max(0, position.offset_ms))
        data = head + _CRC.pack(zlib.crc32(head))
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.pwrite(self._fd, data, 0) != SIZE:
                raise OSError(errno.EIO, "short write", str(self.path))
        except OSError:
            self.close()  # opened again on the next try
            raise

    def read(self) -> Position | None:
        try:
            with open(self.path, "rb") as f:
                data = f.read(SIZE)
        except OSError:
            return None
        head, crc = data[: _HEAD.size], data[_HEAD.size :]
        if len(data) != SIZE or _CRC.unpack(crc)[0] != zlib.crc32(head):
            return None
        magic, generation, offset_ms = _HEAD.unpack(head)
        return Position(generation, offset_ms) if magic == _MAGIC else None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
