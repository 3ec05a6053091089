from __future__ import annotations

import random

from clova_client.agents.audioplayer_items import item_of
from clova_client.player.item import PlayItem
from clova_client.player.queue import PlayQueue, QueueRepeat
from tests.player.helpers import play


def entry(item_id: str, behavior: str = "ENQUEUE") -> PlayItem:
    return item_of(play(item_id, behavior))


def ids(entries: tuple[PlayItem, ...] | list[PlayItem]) -> list[str]:
    return [e.key for e in entries]


def item(e: PlayItem | None) -> str | None:
    return None if e is None else e.key


def filled(*item_ids: str) -> PlayQueue:
    """A queue whose first item is current and the rest upcoming."""
    queue = PlayQueue()
    queue.replace_all(entry(item_ids[0], "REPLACE_ALL"))
    for item_id in item_ids[1:]:
        queue.enqueue(entry(item_id))
    return queue


def test_empty_queue_has_nothing_to_play() -> None:
    queue = PlayQueue()
    assert queue.current is None
    assert queue.peek_next(auto=True) is None
    assert queue.advance(auto=False) is None
    assert queue.back() is None


def test_enqueue_on_empty_queue_is_upcoming_until_advanced() -> None:
    queue = PlayQueue()
    queue.enqueue(entry("a"))
    assert queue.current is None
    assert ids(queue.upcoming) == ["a"]
    assert queue.advance(auto=False) is not None
    assert queue.current is not None and queue.current.key == "a"


def test_replace_all_drops_upcoming_and_keeps_current_in_history() -> None:
    queue = filled("a", "b", "c")
    queue.replace_all(entry("d", "REPLACE_ALL"))
    assert queue.current is not None and queue.current.key == "d"
    assert queue.upcoming == ()
    assert ids(queue.history) == ["a"]


def test_replace_enqueued_keeps_current_and_replaces_upcoming() -> None:
    queue = filled("a", "b", "c")
    queue.replace_enqueued(entry("d", "REPLACE_ENQUEUED"))
    assert queue.current is not None and queue.current.key == "a"
    assert ids(queue.upcoming) == ["d"]


def test_clear_upcoming_keeps_current() -> None:
    queue = filled("a", "b")
    queue.clear_upcoming()
    assert queue.current is not None and queue.current.key == "a"
    assert queue.upcoming == ()
    assert not queue.is_upcoming("b")


def test_advance_walks_the_queue_and_back_walks_history() -> None:
    queue = filled("a", "b", "c")
    assert item(queue.advance(auto=True)) == "b"
    assert item(queue.advance(auto=True)) == "c"
    assert queue.advance(auto=True) is None
    assert queue.current is not None and queue.current.key == "c"
    assert item(queue.back()) == "b"
    assert item(queue.back()) == "a"
    assert queue.back() is None


def test_repeat_one_repeats_on_finish_but_not_on_skip() -> None:
    queue = filled("a", "b")
    queue.repeat = QueueRepeat.ONE
    current = queue.current
    assert queue.peek_next(auto=True) is current
    assert queue.advance(auto=True) is current
    skipped = queue.advance(auto=False)
    assert skipped is not None and skipped.key == "b"


def test_repeat_all_wraps_to_the_start_of_the_latest_playlist() -> None:
    queue = filled("old")
    queue.replace_all(entry("a", "REPLACE_ALL"))
    queue.enqueue(entry("b"))
    queue.repeat = QueueRepeat.ALL
    queue.advance(auto=True)
    wrapped = queue.advance(auto=True)
    assert wrapped is not None and wrapped.key == "a"  # not "old"


def test_shuffle_reorders_upcoming_and_unshuffle_restores_arrival_order() -> None:
    queue = PlayQueue(rng=random.Random(7))
    queue.replace_all(entry("a", "REPLACE_ALL"))
    names = [f"i{n}" for n in range(12)]
    for name in names:
        queue.enqueue(entry(name))
    queue.set_shuffle(True)
    shuffled = ids(queue.upcoming)
    assert sorted(shuffled) == sorted(names) and shuffled != names
    queue.enqueue(entry("late"))
    assert "late" in ids(queue.upcoming)
    queue.set_shuffle(False)
    assert ids(queue.upcoming) == [*names, "late"]
    assert queue.current is not None and queue.current.key == "a"


def test_history_is_bounded() -> None:
    queue = PlayQueue(history_size=2)
    for n in range(5):
        queue.replace_all(entry(f"i{n}", "REPLACE_ALL"))
    assert ids(queue.history) == ["i2", "i3"]
    assert queue.current is not None and queue.current.key == "i4"


def test_load_restores_current_and_upcoming() -> None:
    queue = filled("x")
    a, b = entry("a"), entry("b")
    queue.load(a, [b])
    assert queue.current is a
    assert queue.upcoming == (b,)
    assert queue.history == ()
