"""A Play as the engine's item and back (agents/audioplayer_items.py): what it saves, what it
shows, and what a StreamDeliver makes of it."""

from __future__ import annotations

import pytest

from clova_client.agents.audioplayer_items import delivered, item_of, item_of_saved
from tests.player.helpers import play, stream


def test_an_item_saves_its_play_verbatim() -> None:
    payload = play("a", stream_raw={"url": "https://h/a", "urlPlayable": True, "custom": None})
    raw = item_of(payload).saved
    assert raw["audioItem"]["stream"] == {"url": "https://h/a", "urlPlayable": True, "custom": None}
    assert raw["audioItem"]["title"] == "Title a"
    assert raw["playBehavior"] == "REPLACE_ALL"


def test_an_item_shows_its_stream_and_plays_its_url() -> None:
    payload = play("a", stream_raw=stream("a", begin=500, duration=1000, delay=200, custom=1))
    item = item_of(payload)
    assert item.stream == payload.audio_item.stream.raw  # echoed exactly
    assert (item.key, item.token, item.url) == ("a", "tok-a", "https://media.example/a.mp3")
    assert (item.start_ms, item.cut_ms, item.needs_stream) == (500, 1500, False)
    assert item.progress is not None and item.progress.delay_ms == 200
    assert item_of_saved(item.saved).stream == item.stream  # after a restart, the same


def test_a_cid_url_plays_its_attachment_or_fails_with_why() -> None:
    payload = play("a", url="cid:part-1")
    assert item_of(payload, {"<part-1>": b"ID3"}).data == b"ID3"
    missing = item_of(payload)
    assert missing.data is None and missing.problem == "no attachment for this cid: url"


def test_a_delivery_merges_into_what_is_shown_and_keeps_the_queued_item() -> None:
    queued = item_of(play("a", playable=False))
    assert queued.needs_stream and queued.url == "clova:tok-a"
    new = delivered({"url": "https://h/a.mp3", "extra": {"x": 1}})(queued.stream, queued)
    assert new.url == "https://h/a.mp3" and new.stream["extra"] == {"x": 1}
    assert new.stream["token"] == "tok-a" and new.saved is queued.saved
    assert queued.stream.get("extra") is None  # the Play itself never changes
    with pytest.raises(ValueError, match="StreamDeliver stream is invalid"):
        delivered({"beginAtInMilliseconds": "soon"})(queued.stream, queued)
