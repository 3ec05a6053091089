"""Library benchmark: scan and search a generated library of 10,000 tagged files.

Run: ``.venv/bin/python bench/library.py [--tracks N]`` (about a minute for 10,000). Prints a
table, then, as its last line, one JSON object:

* ``generate_s``: making the files (copies of two short recordings, tagged with mutagen).
* ``scan_s`` / ``scan_tracks_per_s``: the first scan into an empty index (walk, read every
  file's tags, write SQLite + FTS5).
* ``rescan_unchanged_s``: a scan when nothing changed (the periodic re-scan: one stat per file).
* ``rescan_changed_s``: a scan after 100 files were re-tagged.
* ``search_ms_p50/p99``: ``Library.search`` (thread hop included) over 400 mixed queries:
  artist, title word prefix, album, genre, free text, no match; limit 200 as MediaPlayer asks.
* ``search_during_scan_ms_p99``: the same searches while a full scan writes the index.
* ``db_mib``: the index file; ``rss_mib``: the process's peak RSS.

Files: 80 % MP3 (ID3), 20 % Ogg Vorbis (Vorbis comments), in artist/album directories, with
Korean and accented names mixed in. No assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clova_client.library import Library, Query
from tests.library.media import Song, silent_mp3, write_tags
from tests.support.media import media_file

SYLLABLES = ["ka", "ri", "mo", "na", "su", "te", "lo", "vi", "an", "da"]
SYLLABLES += ["하", "늘", "바", "람", "별", "빛", "사", "랑", "é", "ü"]
GENRES = ["Rock", "Pop", "Jazz", "K-Pop", "Folk", "Classical", "Hip-Hop", "Ambient"]
TRACKS_PER_ALBUM = 10
ALBUMS_PER_ARTIST = 2
QUERIES = 400


def word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def songs(count: int, rng: random.Random) -> list[Song]:
    made: list[Song] = []
    per_artist = TRACKS_PER_ALBUM * ALBUMS_PER_ARTIST
    for n in range(count):
        artist = f"{word(random.Random(n // per_artist), 3).title()} {n // per_artist}"
        album = (
            f"{word(random.Random(n // TRACKS_PER_ALBUM + 7), 2).title()} {n // TRACKS_PER_ALBUM}"
        )
        track = n % TRACKS_PER_ALBUM + 1
        suffix = ".ogg" if n % 5 == 0 else ".mp3"
        title = f"{word(rng, 2)} {word(rng, 3)}"
        made.append(
            Song(
                f"{artist}/{album}/{track:02d} {n}{suffix}",
                title,
                (artist,),
                album,
                (rng.choice(GENRES),),
                f"{1970 + n % 50}",
                track,
            )
        )
    return made


def generate(root: Path, count: int) -> list[Song]:
    base = root.parent / "base"
    sources = {".mp3": silent_mp3(base, 1000), ".ogg": media_file(base, "ogg", 1000).path}
    made = songs(count, random.Random(1))
    for song in made:
        target = root / song.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sources[target.suffix], target)
        write_tags(target, song)
    return made


def queries(made: list[Song], rng: random.Random) -> list[Query]:
    out: list[Query] = []
    for n in range(QUERIES):
        song = rng.choice(made)
        kind = n % 6
        if kind == 0:
            out.append(Query(artists=song.artists))
        elif kind == 1:
            out.append(Query(title=(song.title or "")[:3]))
        elif kind == 2:
            out.append(Query(album=song.album))
        elif kind == 3:
            out.append(Query(genres=song.genres))
        elif kind == 4:
            out.append(Query(text=f"play {song.title} please"))
        else:
            out.append(Query(title="zzqx nothing"))
    return out


async def timed_searches(
    library: Library, qs: list[Query], until: asyncio.Task[object] | None = None
) -> tuple[list[float], int]:
    """Latencies (ms) and how many searches found something; stops when ``until`` is done."""
    times: list[float] = []
    hits = 0
    for query in qs:
        if until is not None and until.done():
            break
        started = time.perf_counter()
        hits += bool(await library.search(query, 200))
        times.append((time.perf_counter() - started) * 1000)
    return times, hits


def db_mib(work: Path) -> float:
    files = [work / "library.db", *work.glob("library.db-*")]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def bench(count: int) -> dict[str, float | int | None]:
    work = Path(tempfile.mkdtemp(prefix="clova-bench-library-"))
    try:
        root = work / "music"
        started = time.monotonic()
        made = generate(root, count)
        generate_s = time.monotonic() - started

        library = Library([root], work / "library.db")
        await library.start(background=False)
        report = await library.scan()
        unchanged = await library.scan()
        rng = random.Random(2)
        for song in rng.sample(made, 100):
            write_tags(root / song.path, Song(song.path, f"{song.title} remix", song.artists))
        changed = await library.scan()
        qs = queries(made, random.Random(3))
        idle, _ = await timed_searches(library, qs)
        await library.close()

        busy = Library([root], work / "second.db")  # a fresh index: a full scan to overlap
        await busy.start(background=False)
        scan: asyncio.Task[object] = asyncio.create_task(busy.scan())
        await asyncio.sleep(0.05)  # the scanner thread is walking the directories by now
        during, hits = await timed_searches(busy, qs * 20, until=scan)
        await scan
        await busy.close()
        return {
            "tracks": report.songs,
            "generate_s": round(generate_s, 1),
            "scan_s": round(report.seconds, 2),
            "scan_tracks_per_s": round(report.songs / report.seconds),
            "rescan_unchanged_s": round(unchanged.seconds, 3),
            "rescan_changed_s": round(changed.seconds, 3),
            "rescan_changed": changed.updated,
            "search_ms_p50": round(statistics.median(idle), 2),
            "search_ms_p99": round(pct(idle, 0.99), 2),
            "search_during_scan_ms_p99": round(pct(during, 0.99), 2) if during else None,
            "searches_during_scan": len(during),
            "searches_during_scan_found": hits,
            "db_mib": db_mib(work),
            "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    result = asyncio.run(bench(args.tracks))
    for key, value in result.items():
        print(f"{key:<34}{value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
