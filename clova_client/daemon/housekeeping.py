"""The process's memory housekeeping: what start-up made is frozen, garbage is collected on a
clock, large blocks go back to the system when freed, and so do the free pages glibc's heaps
keep after a collection (docs/ARCHITECTURE.md, Decisions)."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable

import structlog

from ..clock import Clock

log = structlog.get_logger(__name__)

COLLECT_EVERY_S = 5.0
"""How often the daemon runs a full garbage collection (``collect_garbage``)."""
LARGE_BLOCK = 1024 * 1024
"""glibc serves blocks this large or larger with their own mapping, returned when freed."""
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def freeze_startup_objects() -> None:
    """Move what start-up made (modules, models, the engines) into the permanent generation, so
    the full collection every ``COLLECT_EVERY_S`` looks only at what the run made since: 2.5 ms
    instead of 63 ms here. Without that collection, the reference cycles that handling hostile
    input leaves behind waited for Python's own, rare, full collections: +17 MiB of RSS over
    5,000 hostile cases (bench/fuzz.py), +8 MiB with it."""
    gc.collect()
    gc.freeze()


async def collect_garbage(clock: Clock, trim: Callable[[], object] | None = None) -> None:
    """A full collection every ``COLLECT_EVERY_S``, for ever (``freeze_startup_objects``), each
    followed by ``trim`` (``malloc_trimmer()``'s: the free pages go back to the system)."""
    while True:
        await clock.sleep(COLLECT_EVERY_S)
        gc.collect()
        if trim is not None:
            trim()


def malloc_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``: hands the free pages of every malloc heap back to the system
    (libVLC's threads free a player's buffers into heaps of their own, which keep them).
    0.3-0.7 ms here, every ``COLLECT_EVERY_S`` beside the collection's 2.5 ms; about 0.3 MiB of
    RSS less while playing after a few Plays. None where the C library has none (not glibc)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


def return_large_blocks() -> bool:
    """Fix glibc's mmap threshold at ``LARGE_BLOCK``. Left alone, glibc raises it to the size of
    each large block freed (up to 32 MiB), so after one 16 MiB multipart part the next large
    buffers come from the heap, which keeps them: a step of +25 MiB of RSS for good
    (bench/fuzz.py). False where the C library has no ``mallopt`` (not glibc)."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))
    if not done:
        log.warning("memory.mallopt_refused", threshold=LARGE_BLOCK)
    return done
