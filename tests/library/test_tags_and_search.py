"""Scanning real tagged files (MP3, Ogg, WAV) into SQLite and searching them with FTS5."""

from __future__ import annotations

from pathlib import Path

from clova_client.library import Library, Query
from clova_client.library.models import words
from clova_client.library.tags import read_tags


async def titles(library: Library, query: Query) -> list[str]:
    return [t.title for t in await library.search(query, 50)]


async def test_every_tag_of_every_format_is_indexed(library: Library, music_root: Path) -> None:
    assert (library.song_count, library.playlist_count) == (6, 0)
    by_title = {t.title: t for t in await library.select("all", None, 50)}
    palette = by_title["팔레트"]
    assert palette.artists == ("아이유",)
    assert (palette.album, palette.genres, palette.date, palette.track_no) == (
        "Palette",
        ("K-Pop",),
        "2017-04-21",
        1,
    )
    assert palette.lyrics == "이상하게도 요즘엔"
    assert palette.duration_ms is not None and abs(palette.duration_ms - 3000) < 100
    assert by_title["Halo"].lyrics == "Remember those walls I built"  # Vorbis LYRICS
    assert by_title["Together"].artists == ("Alice", "Bob")  # two ARTIST comments
    assert by_title["Field Recording"].date == "2020-06"  # WAV: ID3 in a RIFF chunk
    untagged = by_title["untagged take"]  # no tags at all: named after the file
    assert (untagged.artists, untagged.album) == ((), None)
    assert untagged.path == str(music_root / "Loose" / "untagged take.mp3")


async def test_song_object_follows_the_nugu_song_shape(library: Library) -> None:
    (halo,) = await library.search(Query(title="halo"), 5)
    song = halo.nugu_song("LIKE_SONG")
    assert song == {
        "category": "LIKE_SONG",
        "title": "Halo",
        "artist": ["Beyoncé"],
        "album": "I Am... Sasha Fierce",
        "genre": ["Pop"],
        "duration": str(halo.duration_ms),
        "issueDate": "2008",
    }
    (untagged,) = await library.search(Query(title="untagged"), 5)
    assert set(untagged.nugu_song()) == {"category", "title", "duration"}


def test_garbage_with_an_audio_suffix_is_named_after_the_file(tmp_path: Path) -> None:
    junk = tmp_path / "not really.mp3"
    junk.write_bytes(b"this is no audio at all " * 100)
    tags = read_tags(junk)
    assert (tags.title, tags.artists, tags.duration_ms) == ("not really", (), None)


async def test_library_order_is_artist_album_track(library: Library) -> None:
    assert [t.title for t in await library.select("all", None, 50)] == [
        "untagged take",
        "Together",
        "Halo",
        "Field Recording",
        "팔레트",
        "Love Poem",
    ]


async def test_search_by_fields(library: Library) -> None:
    assert await titles(library, Query(artists=("아이유",))) == ["팔레트", "Love Poem"]
    assert await titles(library, Query(title="팔레")) == ["팔레트"]  # word prefix
    assert await titles(library, Query(title="love poem")) == ["Love Poem"]
    assert await titles(library, Query(artists=("BEYONCE",))) == ["Halo"]  # case, diacritics
    assert await titles(library, Query(artists=("bob",))) == ["Together"]  # second artist
    assert await titles(library, Query(artists=("Nobody", "Alice"))) == ["Together"]  # any of
    assert await titles(library, Query(album="sasha fierce")) == ["Halo"]
    assert await titles(library, Query(genres=("jazz",))) == ["Together"]
    assert await titles(library, Query(artists=("아이유",), title="poem")) == ["Love Poem"]
    assert await titles(library, Query(artists=("아이유",), title="halo")) == []  # all must hold
    assert await titles(library, Query(title="untagged")) == ["untagged take"]  # file name


async def test_free_text_matches_any_word_best_first(library: Library) -> None:
    assert (await titles(library, Query(text="play halo by beyonce")))[0] == "Halo"
    assert await titles(library, Query(text="nothing here matches")) == []
    # a field given: the free text is not used at all
    assert await titles(library, Query(title="together", text="halo")) == ["Together"]


async def test_query_text_is_never_fts_syntax(library: Library) -> None:
    for hostile in ("NEAR(a b)", "title:halo", "a AND OR NOT", "-x", 'x" OR "halo'):
        assert await titles(library, Query(title=hostile)) == []  # plain words, all required
    assert await titles(library, Query(title="^halo*")) == ["Halo"]
    for no_words in ('"', "*", "(((", " - "):
        assert Query(title=no_words).empty  # no word at all: no condition (the caller decides)
    assert words("Ünïcode, 한국어!") == ["ünïcode", "한국어"]
    assert Query().empty and Query(text="  ,, ").empty and not Query(title="x").empty
