"""The composition root: builds every part from the settings, wires them, runs until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from . import __version__
from .agents.audioplayer import AudioPlayerAgent
from .agents.audioplayer_reporter import AudioPlayerReporter
from .agents.mediaplayer import MediaPlayerAgent
from .agents.playback_controller import AudioSide, PlaybackControllerAgent
from .agents.router import Router
from .agents.template_runtime import TemplateRuntimeAgent
from .cic import CicClient, CicSettings, ConnectionState, Outbox, TokenFileError, TokenStore
from .cic.sender import EventSender
from .clock import LoopClock
from .config import ConfigError, Settings, load_settings
from .control import (
    Button,
    CommandRefused,
    ControlServer,
    ControlSocketError,
    PressResult,
    StatusDocument,
)
from .control.status_builder import StatusBuilder
from .daemon_state import RecentErrors, StateFile, status_line
from .library import Library
from .library.music import MusicApp
from .logging import LogFormat, configure_logging, set_level
from .player.backend import PlayerBackend
from .player.engine import PlayerEngine
from .player.settings import PlayerSettings
from .player.shared import SharedBackend
from .systemd import Notifier, Watchdog

log = structlog.get_logger(__name__)

FLUSH_ON_STOP_S = 4.0
"""How long a graceful stop waits for pending events to reach CIC."""
SAVE_EVERY_S = 10.0
"""How often the playing position is saved: a restart after a crash resumes at most this far
behind (a power loss: up to the kernel's write-back delay more, see daemon_state)."""
STATUS_EVERY_S = 5.0
VOLUME_STEP = 10
"""``clova-client volume up|down`` moves by this many percent."""
PRESS_SLACK_S = 2.0
"""A press whose POST started in time gets this long for its answer."""
HUNG_AFTER_S = 10.0
"""A player command running longer than this means libVLC hangs: stop the watchdog pings."""


class Daemon:
    """Every long-lived part of the speaker, built once from the settings."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenStore,
        errors: RecentErrors,
        backend: PlayerBackend | None = None,
    ) -> None:
        self.settings = settings
        self.started_at = time.time()
        self.errors = errors
        state_dir = settings.state_dir
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.tokens = tokens
        self.clock = LoopClock()
        self.notifier = Notifier()
        self.router = Router(describe_state=self._player_state_text)
        self.outbox = Outbox(state_dir / "outbox.db", settings.outbox.max_events)
        self.client = CicClient(self._cic_settings(), self.tokens, self.outbox, self.router)
        self.client.register_handlers(self.router)
        self.sender = EventSender(self.client, self.outbox, self._player_fields)
        if backend is None:
            from .player.vlc import VlcBackend  # the one import of libVLC, kept lazy

            device = settings.player.alsa_device
            alsa = [f"--alsa-audio-device={device}"] if device else []
            backend = VlcBackend(settings.player.audio_output, extra_args=alsa)
        self.backend = backend
        self.output = SharedBackend(backend)  # one speaker: AudioPlayer and MediaPlayer share it
        audio_port = self.output.port("AudioPlayer")
        player = settings.player
        self.engine = PlayerEngine(
            audio_port,
            self.clock,
            PlayerSettings(
                open_timeout_s=player.open_timeout_s,
                stall_timeout_s=player.stall_timeout_s,
                stream_deliver_timeout_s=player.stream_deliver_timeout_s,
                stream_request_lead_s=player.stream_request_lead_s,
            ),
        )
        audio_port.on_preempted = self.engine.stop  # MediaPlayer took the speaker over
        self.music = MusicApp(
            Library(settings.library.paths, state_dir / "library.db", clock=self.clock),
            self.output.port("MediaPlayer"),
            self.clock,
            self.engine.settings,
            handover=self.output.wait_handovers,
        )
        self.music.on_change = lambda: self.notifier.status(self._status_text())
        send = self.sender.submit
        self.template_runtime = TemplateRuntimeAgent(send)
        self.template_runtime.register(self.router)
        self.engine.subscribe(AudioPlayerReporter(send, self.router.dialogs).on_notice)
        self.engine.subscribe(self.template_runtime.on_notice)  # after its PlayStarted
        MediaPlayerAgent(self.music, send, self._context).register(self.router)
        AudioPlayerAgent(self.engine).register(self.router)
        self.controller = PlaybackControllerAgent(
            [AudioSide(self.engine), self.music], self.sender.submit_now, self._context, self.engine
        )
        self.controller.register(self.router)
        self.state_file = StateFile(state_dir / "player.json")
        self._state_writer = ThreadPoolExecutor(1, thread_name_prefix="state-writer")
        self.control = ControlServer.in_dir(settings.control_dir, self)
        self.status_builder = StatusBuilder(
            self.engine,
            self.client,
            self.sender,
            self.music,
            self.output,
            self.template_runtime,
            lambda: errors.items,
            outbox=self.outbox,
        )
        self.engine.subscribe(self.status_builder.on_notice)
        self.music.engine.subscribe(self.status_builder.on_notice)
        self._saving = True
        self._ready = False
        self._vital: list[asyncio.Task[Any]] = []
        """Tasks that run until shutdown; one that ends early makes the daemon unhealthy."""

    def _cic_settings(self) -> CicSettings:
        s = self.settings
        secret = None
        if s.auth.client_secret_file is not None:
            secret = s.auth.client_secret_file.read_text(encoding="utf-8").strip()
        return CicSettings(
            base_url=s.cic.base_url,
            user_agent=s.device.user_agent,
            auth_url=s.auth.auth_url,
            client_id=s.auth.client_id or None,
            client_secret=secret,
            http2_prior_knowledge=s.cic.http2_prior_knowledge,
            ca_file=s.cic.ca_file,
            ping_interval_s=s.cic.ping_interval_s,
            ping_timeout_s=s.cic.ping_timeout_s,
            button_ttl_s=s.cic.button_ttl_s,
        )

    # --- events out ----------------------------------------------------------------------

    def _context(self) -> list[dict[str, Any]]:
        return [self.engine.playback_state().context(), self.music.context().context()]

    def _player_fields(self) -> dict[str, object]:
        """The player's token and state, for the log line of each non-AudioPlayer event."""
        return {"token": self.engine.token, "player": self.engine.state.value}

    # --- control socket ------------------------------------------------------------------

    def status(self) -> StatusDocument:
        return self.status_builder.build()

    async def press(self, button: Button) -> PressResult:
        """Send the button's event and wait for CIC to take it (a press is time-sensitive:
        one not delivered within ``button_ttl_s`` is dropped, and the answer says so)."""
        event = await self.controller.press(button)
        log.info("button", button=button.value, event_name=event.full_name)
        ttl = self.client.settings.button_ttl_s
        delivered = await self.client.wait_delivered(event.message_id, ttl + PRESS_SLACK_S)
        result: PressResult = {
            "event": event.full_name,
            "message_id": event.message_id,
            "delivered": delivered,
        }
        if not delivered:
            result["note"] = f"not delivered within {ttl:g} s, so dropped (CIC unreachable)"
        return result

    async def volume(self, value: int | str | None) -> dict[str, Any]:
        """``clova-client volume``: set or report the output volume (both sources share it);
        kept across restarts in the saved state. Mute/Unmute stay independent of it."""
        current = self.engine.volume
        if value is not None:
            target = current + VOLUME_STEP if value == "up" else current - VOLUME_STEP
            target = int(value) if isinstance(value, int) else max(0, min(100, target))
            await self.engine.set_volume(target)
            log.info("volume_set", volume=self.engine.volume, previous=current)
            self._save(durable=True)
        return {"volume": self.engine.volume, "muted": self.engine.muted}

    def begin_dialog(self, dialog_request_id: str) -> dict[str, Any]:
        """The voice component started a dialog: the one it replaces goes stale (barge-in)."""
        try:
            superseded = self.router.dialogs.begin(dialog_request_id)
        except ValueError as exc:
            raise CommandRefused(str(exc)) from None
        log.info("dialog_started", dialog_request_id=dialog_request_id, superseded=superseded)
        return {"dialog_request_id": dialog_request_id, "superseded": superseded}

    # --- systemd -------------------------------------------------------------------------

    def _player_state_text(self) -> str:
        return self.engine.state.value

    def _status_text(self) -> str:
        if self.client.state is ConnectionState.WAITING_FOR_TOKEN:
            return f"waiting for the token file {self.tokens.path} (clova-client token set)"
        return status_line(
            self.engine.state.value,
            self.engine.token,
            self.engine.playback_state(),
            self.client.state.name,
        )

    def _on_connection(self, old: ConnectionState, new: ConnectionState) -> None:
        self.status_builder.connection_since = time.time()
        if new is ConnectionState.WAITING_FOR_TOKEN and not self._ready:
            self._ready = True  # first boot is a normal state: up, waiting for the technician
            self.notifier.ready(self._status_text())
        elif new is ConnectionState.CONNECTED and not self._ready:
            self._ready = True
            self.notifier.ready(self._status_text())
        else:
            self.notifier.status(self._status_text())

    def _on_player_change(self) -> None:
        self.notifier.status(self._status_text())
        self._save(durable=True)

    def _healthy(self) -> bool:
        """No player command hangs, and every long-running task is still alive."""
        dead = [task.get_name() for task in self._vital if task.done()]
        if dead:
            log.error("task_died", tasks=dead)
            return False
        now = self.clock.now()
        return max(self.engine.busy_for(now), self.music.engine.busy_for(now)) < HUNG_AFTER_S

    async def _ready_after_grace(self) -> None:
        await asyncio.sleep(self.settings.systemd.ready_grace_s)
        if not self._ready:
            self._ready = True
            self.notifier.ready(
                f"offline: cic {self.client.state.name.lower()} - {self._status_text()}"
            )

    async def _keep_state(self) -> None:
        """Refresh STATUS now and then; save the playing position every ``SAVE_EVERY_S``, and
        retry a snapshot that could not be written (disk full or read-only)."""
        ticks = 0
        per_save = max(1, round(SAVE_EVERY_S / STATUS_EVERY_S))
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            ticks += 1
            self.notifier.status(self._status_text())
            if self.state_file.dirty:
                self._save(durable=True)
            elif self.engine.state.value == "PLAYING" and ticks % per_save == 0:
                self._save(durable=False)

    def _save(self, *, durable: bool) -> None:
        """Snapshot on the loop, write on the one state-writer thread (the newest of those
        submitted within 0.2 s): a slow SD card never stalls the loop. ``durable``: a state
        change (the whole snapshot); else a position tick (only the position, see
        ``StateFile.save``)."""
        if self._saving:
            self.state_file.submit(self.engine.snapshot(), durable=durable)
            self._state_writer.submit(self.state_file.write_submitted)

    # --- run -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        await self.engine.start()
        await self.engine.set_volume(self.settings.player.volume)
        await self.music.start()
        await self._restore()
        self.engine.on_change = self._on_player_change
        self.client.add_state_listener(self._on_connection)
        await self.control.start()
        tasks = [
            asyncio.create_task(self.client.run(), name="cic"),
            asyncio.create_task(self.sender.run(), name="events"),
            asyncio.create_task(self._keep_state(), name="state"),
            asyncio.create_task(self._ready_after_grace(), name="ready"),
        ]
        self._vital = tasks[:3]
        if self.settings.systemd.watchdog:
            watchdog = Watchdog(self.notifier)
            tasks.append(asyncio.create_task(watchdog.run(self._healthy, self.clock)))
        await stop.wait()
        log.info("stopping")
        self.notifier.stopping()
        await self._shutdown(tasks)
        return 0

    async def _restore(self) -> None:
        """Bring back the queue saved by the last run, PAUSED. A snapshot the player cannot use
        (another version, a hand edit) is set aside: the speaker starts empty, never not at all."""
        snapshot = self.state_file.load()
        if snapshot is None:
            return
        try:
            await self.engine.restore(snapshot, paused=True)
        except ValueError as exc:
            log.warning(
                "state_unusable",
                reason=" ".join(str(exc).split()),
                path=str(self.state_file.path),
                moved_to=self.state_file.set_aside(),
            )
            return
        log.info("player_restored", state=self.engine.state.value, token=self.engine.token)

    async def _shutdown(self, tasks: list[asyncio.Task[Any]]) -> None:
        if self.engine.state.value == "PLAYING":
            await self.engine.stop()  # PlayStopped: CIC must not think we still play
        await self.engine.wait_idle()
        # What a restart restores: after a crash the item PAUSED (Resume -> PlayResumed); after
        # this stop it is STOPPED at its offset, as CIC was told (Resume -> PlayStarted there).
        self._save(durable=True)
        self._saving = False
        await asyncio.to_thread(self._state_writer.shutdown, wait=True)
        await self.sender.drain(FLUSH_ON_STOP_S)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()
        await self.engine.close()
        await self.music.close()
        await self.control.close()
        self.outbox.close()


def reload_log_level(config_file: Path | None) -> None:
    """SIGHUP (``systemctl reload``): read the config again and apply its log level; a config
    that no longer loads is logged and the running level kept."""
    try:
        level = load_settings(config_file).log.level
    except ConfigError as exc:
        log.error("reload_failed", reason=str(exc), kept="the running settings")
        return
    set_level(level)
    log.info("log_level_set", level=level, config=str(config_file) if config_file else None)


async def _main(
    settings: Settings, tokens: TokenStore, errors: RecentErrors, config_file: Path | None
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload_log_level, config_file)
    try:
        daemon = Daemon(settings, tokens, errors)
        return await daemon.run(stop)
    except (ControlSocketError, OSError, ValueError) as exc:
        log.error("cannot_start", reason=str(exc))
        return 1


def run(
    settings: Settings, log_format: LogFormat | None = None, config_file: Path | None = None
) -> int:
    """``clova-client run``: the daemon, until SIGTERM or SIGINT; the process exit code.
    SIGHUP re-reads ``config_file``'s log level."""
    errors = RecentErrors()
    store: list[TokenStore] = []
    seen: set[str] = set()

    def secrets() -> tuple[str, ...]:
        """Every token value this process has held: a refresh must not un-redact the old ones."""
        if store and store[0].present:
            tokens = store[0].tokens
            seen.update(t for t in (tokens.access_token, tokens.refresh_token) if t)
        return tuple(seen)

    configure_logging(
        log_format or settings.log.format,
        settings.log.level,
        secrets_provider=secrets,
        observers=(errors,),
    )
    log.info("starting", version=__version__, state_dir=str(settings.state_dir))
    try:
        store.append(TokenStore(settings.auth.access_token_file, missing_ok=True))
    except TokenFileError as exc:
        log.error("cannot_start", reason=str(exc))
        return 2
    return asyncio.run(_main(settings, store[0], errors, config_file))
