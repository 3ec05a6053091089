"""The composition root: builds every part from the settings and wires them (``Daemon``), and
the process around it (``run``: logging, the token store, signals)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import structlog

from .. import __version__
from ..agents.audioplayer import AudioPlayerAgent
from ..agents.audioplayer_items import item_of_saved
from ..agents.audioplayer_reporter import AudioPlayerReporter
from ..agents.audioplayer_state import note_for_logs, playback_state
from ..agents.context import (
    AUDIO_PLAYER_STATE,
    MEDIA_PLAYER_STATE,
    SPEECH_STATE,
    VOLUME_STATE,
    ContextRegistry,
)
from ..agents.focus import AudioFocus, FocusMode
from ..agents.mediaplayer import MediaPlayerAgent
from ..agents.outbound import EventOut
from ..agents.playback_controller import AudioSide, PlaybackControllerAgent
from ..agents.router import Router
from ..agents.speech_recognizer import SpeechRecognizerAgent
from ..agents.speech_synthesizer import SpeechSynthesizerAgent
from ..agents.template_runtime import TemplateRuntimeAgent
from ..cic import CicClient, CicSettings, Outbox, TokenFileError, TokenStore
from ..cic.sender import EventSender
from ..clock import LoopClock
from ..config import ConfigError, Settings, load_settings
from ..control import ControlServer, ControlSocketError
from ..control.actions import SpeakerControl
from ..control.status_builder import StatusBuilder
from ..library import Library
from ..library.music import MusicApp
from ..logging import LogFormat, configure_logging, set_level
from ..player.backend import PlayerBackend
from ..player.earcon import EarconOutput, sound_for
from ..player.engine import PlayerEngine
from ..player.mixer import Mixer
from ..player.settings import PlayerSettings
from ..player.shared import SharedBackend
from ..protocol import JsonObject
from ..protocol.speaker import VolumeState
from .device_uuid import device_uuid
from .recent_errors import RecentErrors
from .runtime import Parts, Runtime
from .saved_state import SavedState
from .state_file import StateFile
from .systemd import Notifier

log = structlog.get_logger(__name__)


class Daemon:
    """Every long-lived part of the speaker, built once from the settings and wired, and the
    ``Runtime`` handed them: ``run`` is its life (start, stop, state, systemd)."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenStore,
        errors: RecentErrors,
        backend: PlayerBackend | None = None,
        speech_backend: Callable[[], PlayerBackend] | None = None,
    ) -> None:
        """``backend`` / ``speech_backend``: a test's or a bench's (None: libVLC's)."""
        self.settings = settings
        state_dir = settings.state_dir
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.clock = LoopClock()
        # one speaker: AudioPlayer and MediaPlayer share it, through one mixer (volume, mute,
        # the earcons beside them)
        self.backend, earcons = self._backend(backend)
        self.mixer = Mixer(self.backend, earcons)
        self.output = SharedBackend(self.backend, on_closed=self.mixer.close)
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
            self.mixer,
            item_of_saved,  # what a saved Play is again after a restart
        )
        audio_port.on_preempted = self.engine.stop  # MediaPlayer took the speaker over
        self.music = MusicApp(
            Library(settings.library.paths, state_dir / "library.db", clock=self.clock),
            self.output.port("MediaPlayer"),
            self.clock,
            self.engine.settings,
            handover=self.output.wait_handovers,
            mixer=self.mixer,
        )
        self.saved = SavedState(StateFile(state_dir), self.engine)
        self.router = Router()
        self.outbox = Outbox(state_dir / "outbox.db", settings.outbox.max_events)
        self.client = CicClient(self._cic_settings(), tokens, self.outbox, self.router)
        self.client.register_handlers(self.router)
        self.sender = EventSender(self.client.delivery, self.outbox)
        # one way out for every event, with every part's context objects
        context = ContextRegistry()
        context.provide(AUDIO_PLAYER_STATE, lambda: playback_state(self.engine.status()).context())
        context.provide(MEDIA_PLAYER_STATE, lambda: self.music.context().context())
        context.provide(VOLUME_STATE, self._volume_state)
        self.events = EventOut(self.sender.submit, context)
        self.engine.subscribe(note_for_logs)  # first: the events' lines see its state
        self.template_runtime = TemplateRuntimeAgent(self.events)
        self.template_runtime.register(self.router)
        reporter = AudioPlayerReporter(self.events, self.router.dialogs)
        self.engine.subscribe(reporter.on_notice)
        self.engine.subscribe(self.template_runtime.on_notice)  # after its PlayStarted
        MediaPlayerAgent(self.music, self.events).register(self.router)
        # the voice dialog: speech over music through the one mixer
        self.focus = AudioFocus(
            self.mixer,
            [self.engine, self.music.engine],
            FocusMode(settings.focus.content),
            settings.focus.duck_percent,
        )
        self.speech = SpeechSynthesizerAgent(
            speech_backend or self._speech_backend,
            self.mixer,
            self.events,
            self.router,
            self.focus,
            self.clock,
        )
        self.speech.register(self.router)
        context.provide(SPEECH_STATE, self.speech.context)
        self.recognizer = SpeechRecognizerAgent(
            self.events,
            self.client.stream_event,
            self.router,
            self.speech,
            self.focus,
            self.clock,
            settings.voice.lang,
            device_uuid(state_dir),
        )
        self.recognizer.register(self.router)
        AudioPlayerAgent(self.engine).register(self.router)
        self.controller = PlaybackControllerAgent(
            [AudioSide(self.engine), self.music],
            self.events,
            self.engine,
            mixer=self.mixer,
            saved=lambda: self.saved.save(durable=True),
        )
        self.controller.register(self.router)
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
        self.status_builder.voice = self.recognizer.status
        self.actions = SpeakerControl(
            self.status_builder,
            self.controller,
            self.client,
            self.engine,
            self.router.dialogs,
            self.recognizer,
        )
        self.control = ControlServer.in_dir(settings.control_dir, self.actions, self.recognizer)
        self.runtime = Runtime(
            Parts(
                settings=settings,
                tokens=tokens,
                clock=self.clock,
                notifier=Notifier(),
                client=self.client,
                outbox=self.outbox,
                sender=self.sender,
                engine=self.engine,
                music=self.music,
                saved=self.saved,
                control=self.control,
                status_builder=self.status_builder,
                speech=self.speech,
            )
        )

    async def run(self, stop: asyncio.Event) -> int:
        """The daemon's life until ``stop`` is set; the process exit code."""
        return await self.runtime.run(stop)

    def _backend(self, backend: PlayerBackend | None) -> tuple[PlayerBackend, EarconOutput | None]:
        """libVLC (with its earcon players) unless a backend is handed in (a test's, a bench's)."""
        sound = sound_for(self.settings.player.earcon)
        earcons: EarconOutput | None = None
        if backend is None:
            from ..player.backends.vlc import VlcBackend  # the one import of libVLC, kept lazy
            from ..player.backends.vlc.earcon import VlcEarcons

            player = self.settings.player
            device = player.alsa_device
            alsa = [f"--alsa-audio-device={device}"] if device else []
            backend = VlcBackend(player.audio_output, extra_args=alsa)
            if sound is not None:
                earcons = VlcEarcons(sound, player.audio_output, extra_args=alsa)
        elif sound is not None and isinstance(backend, EarconOutput):
            earcons = backend  # a test's FakeBackend records them
        return backend, earcons

    def _speech_backend(self) -> PlayerBackend:
        """The speech output: a libVLC player of its own on the same output device, made at
        the first Speak (a second libVLC instance costs ~2 MiB and 3 ms)."""
        from ..player.backends.vlc import VlcBackend

        player = self.settings.player
        alsa = [f"--alsa-audio-device={player.alsa_device}"] if player.alsa_device else []
        return VlcBackend(player.audio_output, extra_args=alsa)

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

    def _volume_state(self) -> JsonObject:
        """Speaker.VolumeState: the output's volume and mute (both sources share them)."""
        return VolumeState(volume=self.mixer.volume, muted=self.mixer.muted).context()


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
