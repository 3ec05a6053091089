"""Fuzzing bench: the real daemon against a hostile CIC peer, checked for liveness as it goes.

    .venv/bin/python bench/fuzz.py --cases 100000 --seed 1

The daemon (``bench/fuzz_daemon.py``: ``clova_client.daemon.app.Daemon`` on the FakeBackend) runs in
a child process over h2c against ``bench/fuzz_peer.py`` in this one. Hypothesis draws the cases
(``bench/fuzz_cases.py``) in runs of 1,000, each run seeded from ``--seed``; the peer sends each on
the downchannel (or as the answer to an event). After every 1,000 cases and at the end the bench
checks liveness: the control socket's ``status`` answers within 5 s, and a valid AudioPlayer.Play
(behind a resynchronising delimiter) yields its PlayStarted at the peer, retried on the next channel
when the client had to reconnect. Prints ONE JSON line:

* ``cases``, ``checks``; ``crashes``: the daemon process exited, or its watchdog health check
  failed (a long-lived task died, a player command hung); ``hangs``: ``status`` unanswered, no
  channel for 30 s, or the client stopped reading an open one;
  ``liveness_failures``: status answers but the Play never starts;
* ``rss_mib_start`` / ``rss_mib_end``: the daemon's VmRSS after the first check and at the end;
* ``tracebacks_logged``: log lines of the daemon with an exception; ``events_dropped``: events
  the daemon gave up on (the peer accepts every event, so each one is a loss);
* ``seconds``, ``cases_per_s``, ``channels``, ``events``, ``work_dir`` (kept when something
  failed: the daemon's log and the cases since the last good check, ``failed-N.jsonl``);
  ``rss_mib_trend`` (after each check), ``daemon_cpu_s``, ``kinds``, ``stalls``.

``--huge-one-in N``: one case in N is a 17 MiB part (default 2,000; 0: none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fuzz_cases import DELIMITER, HUGE_PART_ONE_IN, Case, cases, part
from bench.fuzz_daemon import LIVE_URL, DaemonProcess
from bench.fuzz_peer import END, Channel, Event, HostilePeer, serving
from clova_client.control.client import ControlError, request

CHECK_EVERY = 1000
BATCH = 50
RESYNC = b"\r\n\r\nresync" + DELIMITER
"""Ends a part left open by a mangled delimiter; in step, a harmless part that is not JSON."""
PLAY_WAIT_S = 20.0
CHANNEL_WAIT_S = 30.0
MAX_HANGS = 5
"""The bench gives up after this many hangs (the daemon is stuck for good)..."""
MAX_RESTARTS = 3
"""... or after this many crashes (it cannot even start)."""


@dataclass
class Tally:
    cases: int = 0
    crashes: int = 0
    hangs: int = 0
    liveness_failures: int = 0
    rss_mib_start: float = 0.0
    rss_mib_end: float = 0.0
    tracebacks_logged: int = 0
    events_dropped: int = 0
    checks: int = 0
    seconds: float = 0.0
    cases_per_s: float = 0.0
    channels: int = 0
    events: int = 0
    seed: int = 0
    work_dir: str | None = None
    kinds: dict[str, int] = field(default_factory=dict)
    stalls: list[str] = field(default_factory=list)
    rss_mib_trend: list[float] = field(default_factory=list)
    """The daemon's VmRSS after each check."""
    daemon_cpu_s: float = 0.0
    abandoned: bool = False
    """Stopped early: MAX_HANGS hangs or MAX_RESTARTS crashes."""

    @property
    def failed(self) -> bool:
        faults = self.crashes + self.hangs + self.liveness_failures
        return bool(faults or self.tracebacks_logged or self.events_dropped)


def stream_token(event: Event) -> str | None:
    """The stream token of an AudioPlayer event's PlaybackState context."""
    for item in event.body.get("context", []):
        if isinstance(item, dict) and item.get("header", {}).get("name") == "PlaybackState":
            payload = item.get("payload", {})
            stream = payload.get("stream") if isinstance(payload, dict) else None
            token = stream.get("token") if isinstance(stream, dict) else payload.get("token")
            return token if isinstance(token, str) else None
    return None


def live_play(token: str) -> bytes:
    header = {"namespace": "AudioPlayer", "name": "Play", "messageId": token}
    item = {"audioItemId": token, "stream": {"url": LIVE_URL, "token": token}}
    payload = {"playBehavior": "REPLACE_ALL", "audioItem": item}
    return RESYNC + part(json.dumps({"directive": {"header": header, "payload": payload}}).encode())


class Bench:
    """Feeds cases to the newest downchannel and checks the daemon every CHECK_EVERY cases."""

    def __init__(self, peer: HostilePeer, daemon: DaemonProcess, tally: Tally) -> None:
        self.peer, self.daemon, self.tally = peer, daemon, tally
        self.started: set[str] = set()
        self.recent: list[Case] = []
        self.channels_before_start = 0
        peer.on_event = self._on_event

    def _on_event(self, event: Event) -> None:
        token = stream_token(event)
        if event.name == "PlayStarted" and token and token.startswith("live-"):
            self.started.add(token)

    async def channel(self) -> Channel | None:
        """The newest open downchannel, waiting for the client to reopen one."""
        peer = self.peer
        opened = await peer.wait_for(
            lambda: bool(peer.channels) and not peer.channel.closed, CHANNEL_WAIT_S
        )
        return peer.channel if opened else None

    async def ready(self) -> None:
        """The daemon just started is up: it opened a downchannel, its control socket exists."""
        peer, before = self.peer, self.channels_before_start
        opened = await peer.wait_for(lambda: len(peer.channels) > before, CHANNEL_WAIT_S)
        if not opened:
            await self._stalled("the daemon never opened a downchannel")
        while not self.daemon.control.exists() and self.daemon.alive:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    async def feed_all(self, batch: list[Case]) -> None:
        for case in batch:
            await self.feed(case)

    async def feed(self, case: Case) -> None:
        tally = self.tally
        if tally.abandoned:
            return
        tally.cases += 1
        tally.kinds[case.kind.split("_")[0]] = tally.kinds.get(case.kind.split("_")[0], 0) + 1
        self.recent.append(case)
        if not self.daemon.alive:
            await self._restart()
            if tally.abandoned:
                return
        if case.event_reply:
            self.peer.replies.append(case.data)
            while len(self.peer.replies) > 8:
                self.peer.replies.popleft()
        else:
            channel = await self.channel()
            if channel is None:
                await self._stalled("no downchannel open")
                return
            channel.push(case.data)
            if case.end_stream:
                channel.push(END)
            try:
                async with asyncio.timeout(CHANNEL_WAIT_S):
                    await channel.wait_room(16)
            except TimeoutError:  # the client stopped reading an open channel
                await self._stalled("the client stopped reading the downchannel")
        if tally.cases % CHECK_EVERY == 0:
            await self.check()

    async def _stalled(self, what: str) -> None:
        """A hang: counted, the cases since the last check kept, the daemon's tasks logged."""
        self.tally.hangs += 1
        self.tally.stalls.append(f"case {self.tally.cases}: {what}")
        self._save_failure()
        self.daemon.dump_tasks()
        with (self.daemon.directory / "bench-tasks.txt").open("a") as out:
            print(f"--- {what} at case {self.tally.cases}", file=out)
            for task in asyncio.all_tasks():
                task.print_stack(file=out)
            channels = [(c.number, c.closed, c.outgoing.qsize()) for c in self.peer.channels]
            print(f"channels (number, closed, waiting): {channels[-3:]}", file=out)
        if self.tally.hangs >= MAX_HANGS:
            self.tally.abandoned = True

    async def _restart(self) -> None:
        """The daemon died: counted, and started again (same state directory) a few times."""
        self.tally.crashes += 1
        await self.daemon.stop()
        if self.tally.crashes > MAX_RESTARTS:
            self.tally.abandoned = True
            return
        self.channels_before_start = len(self.peer.channels)
        await self.daemon.start()
        await self.ready()

    async def check(self) -> bool:
        """Liveness: status answers, and a valid Play yields PlayStarted."""
        tally = self.tally
        tally.checks += 1
        token = f"live-{tally.checks}"
        ok = await self._status_answers() and await self._play_starts(token)
        if self.daemon.alive:
            tally.rss_mib_trend.append(self.daemon.rss_mib())
            self.daemon.dump_memory()
        if ok:
            self.recent.clear()
        else:
            self._save_failure()
        return ok

    async def _status_answers(self) -> bool:
        if not self.daemon.alive:
            await self._restart()
        try:
            answer = await request(self.daemon.control, {"cmd": "status"}, 5.0)
        except ControlError as exc:
            await self._stalled(f"status did not answer: {exc}")
            return False
        return bool(answer.get("ok"))

    async def _play_starts(self, token: str) -> bool:
        """A new channel each time the client had to reconnect; on an open channel one more
        try (a directive from an earlier event's answer may have replaced the Play before it
        sounded): a deaf channel fails both."""
        self.peer.replies.clear()  # no more hostile answers to events until the check is done
        tries = 0
        for attempt in range(6):
            channel = await self.channel()
            if channel is None:
                await self._stalled("no downchannel open")
                return False
            channel.push(live_play(f"{token}-{attempt}"))
            done = _started_or_closed(self.started, token, channel)
            await self.peer.wait_for(done, PLAY_WAIT_S)
            if any(t.startswith(f"{token}-") for t in self.started):
                return True
            tries += not channel.closed
            if tries == 2:
                break  # connected, alive, and deaf
        self.tally.liveness_failures += 1
        return False

    def _save_failure(self) -> None:
        path = self.daemon.directory / f"failed-{self.tally.checks}.jsonl"
        with path.open("w") as out:
            for case in self.recent:
                out.write(
                    json.dumps({"kind": case.kind, "hex": case.data.hex(), **_flags(case)}) + "\n"
                )
        self.recent.clear()


def _started_or_closed(started: set[str], token: str, channel: Channel) -> Callable[[], bool]:
    return lambda: channel.closed or any(t.startswith(f"{token}-") for t in started)


def _flags(case: Case) -> dict[str, bool]:
    return {"end_stream": case.end_stream, "event_reply": case.event_reply}


def generate(
    count: int,
    seed: int,
    sink: Callable[[list[Case]], None],
    stop: Callable[[], bool],
    huge_one_in: int = HUGE_PART_ONE_IN,
) -> None:
    """Draw ``count`` cases with hypothesis, CHECK_EVERY per run (a fresh run keeps its memory
    small), handed to ``sink`` BATCH at a time (one thread hand-over per batch, not per case)."""
    made, run, batch = 0, 0, []
    while made < count and not stop():
        examples = min(CHECK_EVERY, count - made)

        @seeded(seed * 1_000_003 + run)
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(cases(huge_one_in))
        def one(case: Case) -> None:
            nonlocal made
            if made < count and not stop():
                made += 1
                batch.append(case)
                if len(batch) == BATCH:
                    sink(batch[:])
                    batch.clear()

        one()
        run += 1
    if batch and not stop():
        sink(batch)


def read_log(log: Path) -> tuple[int, int, int]:
    """(lines with an exception, health-check failures, events dropped) in the daemon's log."""
    tracebacks = unhealthy = dropped = 0
    with log.open("rb") as lines:
        for raw in lines:
            tracebacks += b"Traceback" in raw or b'"exception"' in raw
            unhealthy += b"watchdog health check failed" in raw
            dropped += b'"event": "event_dropped"' in raw  # the peer never refuses one
    return tracebacks, unhealthy, dropped


async def fuzz(
    count: int, seed: int = 1, keep: bool = False, huge_one_in: int = HUGE_PART_ONE_IN
) -> Tally:
    """Run the bench; the tally of what happened."""
    tally = Tally(seed=seed)
    directory = Path(tempfile.mkdtemp(prefix="fz"))  # short: the control socket path
    peer = HostilePeer(keep_events=100)
    began = time.monotonic()
    async with serving(peer) as base_url:
        daemon = DaemonProcess(base_url, directory)
        await daemon.start()
        bench = Bench(peer, daemon, tally)
        await bench.ready()
        await bench.check()
        tally.rss_mib_start = daemon.rss_mib() if daemon.alive else 0.0
        loop = asyncio.get_running_loop()

        def sink(batch: list[Case]) -> None:
            asyncio.run_coroutine_threadsafe(bench.feed_all(batch), loop).result()

        stop = lambda: tally.abandoned  # noqa: E731
        await asyncio.to_thread(generate, count, seed, sink, stop, huge_one_in)
        if tally.cases % CHECK_EVERY and not tally.abandoned:
            await bench.check()
        tally.rss_mib_end = daemon.rss_mib() if daemon.alive else 0.0
        tally.daemon_cpu_s = daemon.cpu_s() if daemon.alive else 0.0
        code = await daemon.stop()
        tally.crashes += code not in (0, None)
    tally.tracebacks_logged, unhealthy, tally.events_dropped = read_log(daemon.log)
    tally.crashes += unhealthy
    tally.seconds = round(time.monotonic() - began, 1)
    tally.cases_per_s = round(tally.cases / tally.seconds, 1)
    tally.channels, tally.events = len(peer.channels), peer.event_count
    if keep or tally.failed:
        tally.work_dir = str(directory)
    else:
        shutil.rmtree(directory, ignore_errors=True)
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description="Fuzz the daemon with a hostile CIC peer.")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--huge-one-in",
        type=int,
        default=HUGE_PART_ONE_IN,
        help=f"one case in N is a 17 MiB part (default {HUGE_PART_ONE_IN}; 0: none)",
    )
    args = parser.parse_args()
    tally = asyncio.run(fuzz(args.cases, args.seed, args.keep, args.huge_one_in))
    line: dict[str, Any] = asdict(tally)
    print(json.dumps(line))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
