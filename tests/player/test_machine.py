"""The state machine's one table (player/machine.py ``TRANSITIONS``): its shape, its guard, and
a busy life of an engine in which no step falls outside it."""

from __future__ import annotations

import structlog

from clova_client.agents.audioplayer_items import item_of
from clova_client.clock import ManualClock
from clova_client.player.attempt import ACTIVE, Attempt, AttemptPhase
from clova_client.player.backends.fake import FakeBackend, FakeMedia
from clova_client.player.machine import TRANSITIONS, PlayerMachine, Trigger
from clova_client.player.settings import PlayerSettings
from tests.player.conftest import HarnessFactory
from tests.player.helpers import deliver, play, stream, url_of

A, B, C = url_of("a"), url_of("b"), url_of("c")
MEDIA = {A: FakeMedia(10_000), B: FakeMedia(3_000), C: FakeMedia(3_000)}


def test_every_phase_is_reached_and_only_done_has_no_way_out() -> None:
    reached = {AttemptPhase.NEW} | {step.target for step in TRANSITIONS.values()}
    assert reached == set(AttemptPhase)
    left = set().union(*(step.sources for step in TRANSITIONS.values()))
    assert left == set(AttemptPhase) - {AttemptPhase.DONE}
    assert all(TRANSITIONS[t].target is AttemptPhase.DONE for t in (Trigger.LEAVE, Trigger.GIVE_UP))
    assert TRANSITIONS[Trigger.LEAVE].sources == ACTIVE


def test_a_step_outside_the_table_is_logged_and_taken() -> None:
    machine = PlayerMachine(
        FakeBackend(), lambda notice: None, ManualClock(), PlayerSettings(), lambda job: None
    )
    attempt = Attempt.for_entry(item_of(play("a")), 1)
    attempt.phase = AttemptPhase.DONE
    with structlog.testing.capture_logs() as logs:
        machine._move(attempt, Trigger.SOUND)
    assert attempt.phase is AttemptPhase.PLAYING  # the speaker goes on
    (bad,) = [e for e in logs if e["event"] == "player.bad_step"]
    assert (bad["phase"], bad["trigger"]) == ("DONE", "sound")


async def test_a_busy_life_never_steps_outside_the_table(new_harness: HarnessFactory) -> None:
    h = await new_harness(MEDIA)
    with structlog.testing.capture_logs() as logs:
        await h.audio.play(play("a"))
        await h.engine.pause()  # before it ever sounded
        await h.engine.resume()
        await h.run(1.0)
        await h.engine.pause()
        await h.engine.seek(4000)
        await h.engine.resume()
        await h.run(0.5)
        await h.audio.play(play("x", "ENQUEUE", stream_raw=stream("x", playable=False)))
        await h.engine.next()  # waits for its stream
        await h.engine.pause()
        await h.audio.stream_deliver(deliver("x", {"url": B}))
        await h.engine.resume()
        await h.run(1.0)
        await h.audio.play(play("c", "ENQUEUE"))
        await h.run(5.0)  # x plays to its end, c follows and ends
        await h.engine.previous()
        await h.run(0.5)
        await h.engine.stop()
        await h.engine.resume()  # a new attempt where it stopped
        await h.run(0.5)
        await h.engine.replay()
        await h.audio.play(play("gone", url="https://media.example/gone.mp3"))
        await h.run(12.0)  # never sounds: given up on
    bad = [e for e in logs if e["event"] in ("player.bad_step", "player.bad_transition")]
    assert bad == []
    steps = [e["state"] for e in logs if e["event"] == "player.state"]
    assert {"PLAYING", "PAUSED", "STOPPED"} <= set(steps)
    assert any(e["event"] == "player.item_abandoned" for e in logs)
