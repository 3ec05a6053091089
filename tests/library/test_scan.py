"""Re-scans pick up added, changed and removed files; playlists; likes and play history."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import structlog

from clova_client.library import Library, Query
from tests.library.media import Song, make_library, write_m3u, write_tags


async def test_rescan_sees_added_changed_and_removed_files(
    library: Library, music_root: Path, base: dict[str, Path]
) -> None:
    unchanged = await library.scan()
    assert (unchanged.added, unchanged.updated, unchanged.removed) == (0, 0, 0)

    make_library(music_root, base, [Song("New/fresh.ogg", "Fresh", ("Newcomer",))])
    halo = music_root / "Beyonce" / "Halo.ogg"
    write_tags(halo, Song("x", "Halo (Remix)", ("Beyoncé",)))
    os.utime(halo, ns=(1, 1))  # a different mtime even on coarse file systems
    (music_root / "Loose" / "untagged take.mp3").unlink()

    report = await library.scan()
    assert (report.added, report.updated, report.removed, report.songs) == (1, 1, 1, 6)
    assert [t.title for t in await library.search(Query(artists=("newcomer",)), 5)] == ["Fresh"]
    assert [t.title for t in await library.search(Query(title="remix"), 5)] == ["Halo (Remix)"]
    assert await library.search(Query(title="untagged"), 5) == []
    assert library.song_count == 6


async def test_cover_image_next_to_the_files_is_the_album_art(
    library: Library, music_root: Path
) -> None:
    (music_root / "IU" / "Palette" / "Folder.JPG").write_bytes(b"\xff\xd8 jpeg")
    (music_root / "IU" / "Palette" / "cover.png").write_bytes(b"\x89PNG")  # ranks first
    await library.scan()  # only the art changed: no tag is read again
    (palette,) = await library.search(Query(title="팔레트"), 5)
    assert palette.art == (music_root / "IU" / "Palette" / "cover.png").as_uri()
    (halo,) = await library.search(Query(title="halo"), 5)
    assert halo.art is None


async def test_index_survives_a_restart(tmp_path: Path, library: Library, music_root: Path) -> None:
    again = Library([music_root], library.db_path)
    await again.start(background=False)  # no scan: what the last run found is there at once
    try:
        assert (again.song_count, len(await again.search(Query(artists=("아이유",)), 5))) == (6, 2)
    finally:
        await again.close()


async def test_background_scan_at_start(tmp_path: Path, music_root: Path) -> None:
    usb = tmp_path / "usb"
    lib = Library([music_root, usb], tmp_path / "bg.db")
    with structlog.testing.capture_logs() as logs:
        await lib.start()
        try:
            report = await asyncio.wait_for(lib.scanned(), 30)
            assert (report.songs, lib.song_count, lib.scanning) == (6, 6, False)
            await lib.scan()  # still missing: not logged again
            shutil.copytree(music_root / "Duets", usb / "Duets")
            assert (await lib.scan()).songs == 7
        finally:
            await lib.close()
    said = [(e["event"], e.get("path")) for e in logs if e["event"].startswith("library.path")]
    assert said == [("library.path_missing", str(usb)), ("library.path_back", str(usb))]


async def test_m3u_playlists(library: Library, music_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.mp3"
    shutil.copyfile(music_root / "Loose" / "untagged take.mp3", outside)
    write_m3u(
        music_root / "lists" / "road trip.m3u",
        [
            "#EXTM3U",
            "#EXTINF:3,Beyoncé - Halo",
            "../Beyonce/Halo.ogg",
            (music_root / "IU" / "Palette" / "02 Love Poem.mp3").as_uri(),
            "https://radio.example/stream.mp3",
            "../missing.mp3",
            str(outside),  # a file outside the library: not a song, skipped
            r"..\Duets\Together.ogg",
        ],
    )
    write_m3u(music_root / "lists" / "b.m3u8", ["#PLAYLIST:All IU", "../IU/Palette/01 Palette.mp3"])
    await library.scan()
    lists = await library.playlists()
    assert [(p.name, p.number, p.length) for p in lists] == [("All IU", 1, 1), ("road trip", 2, 3)]
    road = [t.title for t in await library.playlist_songs(lists[1], 50)]
    assert road == ["Halo", "Love Poem", "Together"]

    (music_root / "lists" / "b.m3u8").unlink()
    await library.scan()
    assert [p.name for p in await library.playlists()] == ["road trip"]


async def test_likes_and_history_are_kept_by_path(library: Library, music_root: Path) -> None:
    (halo,) = await library.search(Query(title="halo"), 5)
    (poem,) = await library.search(Query(title="poem"), 5)
    assert not await library.has_likes() and not await library.has_history()
    assert await library.set_like(halo, True)
    assert not await library.set_like(halo, True)  # already liked
    assert not await library.set_like(poem, False)  # was not liked
    assert await library.is_liked(halo)

    for song in (poem, halo, poem):
        await library.record_play(song)
    assert [t.title for t in await library.select("recent", None, 5)] == ["Love Poem", "Halo"]
    assert [t.title for t in await library.select("most_played", None, 5)] == ["Love Poem", "Halo"]

    moved = music_root / "Beyonce" / "Halo.ogg"
    moved.rename(moved.with_suffix(".bak"))
    await library.scan()
    assert await library.select("liked", None, 5) == []  # gone from the library ...
    moved.with_suffix(".bak").rename(moved)
    await library.scan()
    assert [t.title for t in await library.select("liked", None, 5)] == ["Halo"]  # ... and back
    assert await library.set_like(halo, False)
