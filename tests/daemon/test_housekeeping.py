"""Memory housekeeping (issue 12): cycles collected on a clock; large blocks go back to the
system when freed, even after a larger one was."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import weakref

from clova_client.clock import ManualClock
from clova_client.daemon.housekeeping import COLLECT_EVERY_S, collect_garbage, malloc_trimmer

PROBE = """
import ctypes, sys
from clova_client.daemon.housekeeping import return_large_blocks

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "tuned":
    assert return_large_blocks()
big = bytearray(16 * 1024 * 1024)  # a 16 MiB part buffer, then freed
del big
before = libc.mallinfo2().hblks
buffer = bytearray(4 * 1024 * 1024)  # the next large buffer: its own mapping?
print(libc.mallinfo2().hblks - before)
"""


def mapped_blocks_after_a_large_free(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    ).stdout
    return int(out)


def test_a_large_buffer_after_a_larger_one_is_mapped_not_taken_from_the_heap() -> None:
    assert mapped_blocks_after_a_large_free("tuned") == 1
    assert mapped_blocks_after_a_large_free("untuned") == 0  # glibc's own threshold moved up


async def test_cyclic_garbage_is_collected_on_the_clock() -> None:
    """Reference cycles are collected every COLLECT_EVERY_S, not left to Python's rare full
    collections (bench/fuzz.py: RSS grew ~3 MiB per 1,000 hostile cases without it)."""

    class Node:
        me: object

    clock = ManualClock()
    gc.disable()  # only the daemon's collection may free it
    collector = asyncio.create_task(collect_garbage(clock))
    try:
        node = Node()
        node.me = node
        alive = weakref.ref(node)
        del node
        await asyncio.sleep(0)
        clock.advance(COLLECT_EVERY_S - 0.1)
        await asyncio.sleep(0)
        assert alive() is not None
        clock.advance(0.1)
        await asyncio.sleep(0)
        assert alive() is None
    finally:
        gc.enable()
        collector.cancel()


async def test_each_collection_hands_the_free_heap_pages_back() -> None:
    """After each clocked collection the trim runs (glibc's ``malloc_trim``): the buffers that
    libVLC's threads freed go back to the system, not only at the next Play."""
    clock = ManualClock()
    trims: list[float] = []
    collector = asyncio.create_task(collect_garbage(clock, lambda: trims.append(clock.now())))
    try:
        await asyncio.sleep(0)
        clock.advance(COLLECT_EVERY_S - 0.1)
        await asyncio.sleep(0)
        assert trims == []
        for _ in range(2):
            clock.advance(COLLECT_EVERY_S)
            await asyncio.sleep(0)
        assert len(trims) == 2
    finally:
        collector.cancel()


TRIM_PROBE = """
import ctypes
from clova_client.daemon.housekeeping import malloc_trimmer

def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
# 8 MiB in 64 KiB blocks (below the mmap threshold: from the heap), every other one kept, so the
# heap's top cannot shrink by itself: half of it is free pages inside the heap
blocks = [libc.malloc(64 * 1024) for _ in range(128)]
for b in blocks:
    ctypes.memset(b, 1, 64 * 1024)
for b in blocks[::2]:
    libc.free(b)
before = rss_kib()
trim = malloc_trimmer()
trim()
print(before - rss_kib())
"""


def test_the_trim_returns_free_pages_inside_the_heap() -> None:
    assert malloc_trimmer() is not None  # glibc here
    out = subprocess.run(
        [sys.executable, "-c", TRIM_PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert int(out) >= 2048  # KiB: most of the 4 MiB freed inside the heap went back
