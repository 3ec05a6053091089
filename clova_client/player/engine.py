"""PlayerEngine: what the agents call to play audio. It turns every command, backend event and
timer expiry into one job of a ``SerialRunner`` and runs it on the state machine (``machine.py``,
asked through ``commands.py``), so it never sees two things at once, even while it awaits the
backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from clova_client.clock import Clock

from .backend import MediaBackend, VolumeControl
from .commands import AttemptStatus, Commands
from .earcon import EarconOutput
from .item import Enqueue, JsonObject, PlayItem, Rebuild, Redeliver
from .machine import PlayerMachine
from .mixer import Mixer
from .notices import Listener, NoticeBoard, NoticeKind
from .queue import QueueRepeat
from .serial import SerialRunner
from .settings import PlayerSettings
from .status import Activity, PlayerStatus

DEFAULT_SETTINGS = PlayerSettings()

log = structlog.get_logger(__name__)


class PlayerEngine:
    def __init__(
        self,
        backend: MediaBackend,
        clock: Clock,
        settings: PlayerSettings = DEFAULT_SETTINGS,
        mixer: Mixer | None = None,
        rebuild: Rebuild | None = None,
    ) -> None:
        """``mixer``: the output this engine plays through (its volume and mute); without one,
        a mixer of its own over ``backend`` (a lone engine: tests, benches). ``rebuild``:
        makes a saved item again (``restore``; None: this engine restores no items)."""
        self._backend = backend
        self._rebuild = rebuild
        if mixer is None:
            output = backend if isinstance(backend, VolumeControl) else None
            earcons = backend if isinstance(backend, EarconOutput) else None
            mixer = Mixer(output, earcons)
        self.mixer = mixer
        self._serial = SerialRunner("player")
        self._notices = NoticeBoard()
        machine = PlayerMachine(backend, self._notices.publish, clock, settings, self._serial.post)
        self._reported = machine.reported
        self._queue = machine.queue
        self._machine = machine
        self._commands = Commands(machine, clock, mixer)
        self.settings = settings
        self._closed = False
        self.commands = 0
        """How many commands that change the current item or what it does were asked so far
        (a Play that replaces everything, a playlist, stop, pause, resume, next, previous,
        replay, a clear that stops; not an enqueue, a seek or the repeat / shuffle settings):
        the audio focus resumes music it paused only when none came since."""

    # --- what the player is doing (always true, position interpolated) --------------------

    @property
    def state(self) -> Activity:
        return self._reported.state

    @property
    def token(self) -> str | None:
        """The token of the item the context describes (None when IDLE)."""
        shown = self._reported.shown
        return shown.token if shown else None

    @property
    def shown_key(self) -> str | None:
        """The key of the item the status shows (None when IDLE)."""
        shown = self._reported.shown
        return shown.key if shown else None

    def attempt(self) -> AttemptStatus | None:
        """The queue's current item as the engine deals with it now: being started, playing,
        paused or stopped (None when the queue is empty). Unlike ``token`` / the context, it
        already names an item that has not sounded yet."""
        return self._commands.attempt()

    @property
    def repeat(self) -> QueueRepeat:
        return self._queue.repeat

    @property
    def shuffle(self) -> bool:
        return self._queue.shuffle

    @property
    def volume(self) -> int:
        """The mixer's (read only: the mixer sets it), for readers that hold only the engine."""
        return self.mixer.volume

    @property
    def muted(self) -> bool:
        """The mixer's (read only)."""
        return self.mixer.muted

    @property
    def on_change(self) -> Callable[[], None] | None:
        """Called after every state transition (e.g. to update systemd's STATUS)."""
        return self._reported.on_change

    @on_change.setter
    def on_change(self, callback: Callable[[], None] | None) -> None:
        self._reported.on_change = callback

    def status(self) -> PlayerStatus:
        """What the player reports now (AudioPlayer's context: ``agents.audioplayer_state``)."""
        return self._reported.status()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(notice)`` for every notice, in order; returns the unsubscribe function."""
        return self._notices.subscribe(listener)

    def report_playback_state(self, dialog_request_id: str | None = None) -> None:
        """Issue a STATE_REQUESTED notice (the answer to ExpectReportPlaybackState)."""
        self._reported.notify(NoticeKind.STATE_REQUESTED, dialog_request_id=dialog_request_id)

    def current_entry(self) -> tuple[PlayItem, str | None] | None:
        """The queue's current item and the token its attempt plays (None: empty queue)."""
        return self._commands.current_entry()

    def upcoming(self) -> tuple[PlayItem, ...]:
        """The items after the current one, next first."""
        return self._queue.upcoming

    def snapshot(self) -> JsonObject:
        """The current item, its offset, the upcoming items as they saved themselves, repeat and
        the mixer's volume."""
        return self._commands.snapshot()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._backend.attach(self._machine.on_backend_event)

    async def close(self) -> None:
        """Stop sound and release the backend, without events (a restart restores instead).
        Closing twice is harmless; other commands after close raise RuntimeError."""
        if self._closed:
            return
        self._closed = True
        await self._serial.run(self._machine.shutdown)
        await self._serial.close()

    def busy_for(self, now: float) -> float:
        """Seconds the running command has taken so far (0 when idle): a hung libVLC call
        shows as a number that keeps growing. ``now`` is the loop clock."""
        since = self._serial.busy_since
        return 0.0 if since is None else max(0.0, now - since)

    async def wait_idle(self) -> None:
        """Return once every queued command, backend event and timer job has been handled."""
        await self._serial.wait_idle()

    # --- directives -----------------------------------------------------------------------

    async def play(self, item: PlayItem, enqueue: Enqueue = Enqueue.REPLACE_ALL) -> None:
        """Queue ``item`` as ``enqueue`` says (an item whose key plays or waits is dropped)."""
        if enqueue is Enqueue.REPLACE_ALL:
            self.commands += 1
        await self._serial.run(lambda: self._commands.play(item, enqueue))

    async def play_all(self, items: Sequence[PlayItem]) -> None:
        """Replace everything with ``items`` in this order and play the first: a whole
        playlist in one job (MediaPlayer). Nothing happens for an empty list."""
        self.commands += 1
        await self._serial.run(lambda: self._commands.play_all(list(items)))

    async def clear_queue(self, *, stop: bool) -> None:
        """Drop what waits; ``stop``: stop the current item too."""
        if stop:
            self.commands += 1
        await self._serial.run(lambda: self._commands.clear_queue(stop=stop))

    async def stream_deliver(self, key: str, redeliver: Redeliver) -> None:
        """The stream the item ``key`` asked for (or a new one for the item that plays):
        ``redeliver`` makes the item to play from what it shows and the item as queued."""
        await self._serial.run(lambda: self._commands.stream_deliver(key, redeliver))

    async def restore(self, snapshot: Mapping[str, Any], *, paused: bool = True) -> None:
        """Rebuild the queue and the current item at its offset, PAUSED, without playing
        (``paused=False`` resumes at once). ValueError for a snapshot it cannot read."""
        rebuild = self._rebuild
        if rebuild is None:
            raise ValueError("this engine keeps no items across restarts")
        await self._serial.run(lambda: self._commands.restore(snapshot, paused, rebuild))

    # --- controls: False when there was nothing to act on ---------------------------------

    async def pause(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.pause)

    async def resume(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.resume)

    async def stop(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.stop)

    async def next(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.next)

    async def previous(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.previous)

    async def replay(self) -> bool:
        self.commands += 1
        return await self._serial.run(self._commands.replay)

    async def seek(self, offset_ms: int) -> bool:
        """Move within the current item (clamped to its end); False when nothing is loaded."""
        return await self._serial.run(lambda: self._commands.seek(offset_ms))

    def set_repeat(self, repeat: QueueRepeat) -> None:
        """NONE / ONE / ALL (ALL is for MediaPlayer; the AudioPlayer context shows NONE for it:
        ``agents.audioplayer_state.repeat_mode``)."""
        self._commands.set_repeat(repeat)

    def set_shuffle(self, on: bool) -> None:
        self._commands.set_shuffle(on)
