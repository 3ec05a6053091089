"""What the music app needs from PlayerEngine: ``play_all`` (a whole list in one job) and
``attempt()`` (the current item before it sounds), on a simulating FakeBackend and a
ManualClock (media time only)."""

from __future__ import annotations

from clova_client.agents.audioplayer_items import item_of
from clova_client.player.backends.fake import FakeMedia
from tests.player.helpers import make_harness, play, url_of


async def test_play_all_then_attempt_follows_the_queue() -> None:
    media = {url_of(i): FakeMedia(2000) for i in ("a", "b", "c")}
    h = await make_harness(media)
    try:
        assert h.engine.attempt() is None
        await h.engine.play_all([item_of(play(i)) for i in ("a", "b", "c")])
        first = h.engine.attempt()
        assert first is not None and (first.key, first.starting) == ("a", True)
        assert h.engine.token is None  # the context names nothing until it sounds

        await h.run_until("PlayStarted")
        await h.run(0.5)
        sounding = h.engine.attempt()
        assert sounding is not None and not sounding.starting
        assert sounding.position_ms >= 500  # media time

        assert await h.engine.next()
        after_next = h.engine.attempt()
        assert after_next is not None and after_next.key == "b"
        assert after_next.position_ms == 0

        await h.engine.stop()
        stopped = h.engine.attempt()
        assert stopped is not None and (stopped.key, stopped.starting) == ("b", False)

        await h.engine.play_all([])  # nothing to play: nothing changes
        assert h.engine.attempt() == stopped
        h.engine.set_shuffle(True)
        assert h.engine.shuffle
        assert [s.url for s in h.played()] == [url_of("a"), url_of("b")]
    finally:
        await h.engine.close()
