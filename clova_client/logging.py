"""One structlog configuration for the daemon and for stdlib loggers (aiohttp, httpx, asyncio).

Formats: ``journal``, ``console`` (readable, coloured on a TTY), ``json``. ``auto`` picks
journal under journald, else console. A redaction processor runs last before rendering, so no
format shows a secret. ``PLAYER_LOG`` holds the AudioPlayer's state and token for the lines of
other tasks that name them (a directive's, an event's).

``journal`` sends each line over journald's native protocol (cysystemd) with structured fields
(``PRIORITY``, ``EVENT``, ``TOKEN``, ``MESSAGE_ID``, ``CIC_STATE``, ``CODE_FILE``...), so a
technician can filter on them (``journalctl -u clova-client EVENT=item_abandoned``); the MESSAGE
is the same logfmt line. Without a journal socket (or without cysystemd) it falls back to logfmt
on stderr with a ``<N>`` priority prefix, which journald's stream reader also understands.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TextIO, cast

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from clova_client.redact import redact_value

LogFormat = Literal["auto", "journal", "console", "json"]
SecretsProvider = Callable[[], Iterable[str]]

# sd-daemon(3) priorities: journalctl -p warning shows <4> and below.
PRIORITIES = {"critical": 2, "error": 3, "exception": 3, "warning": 4, "info": 6, "debug": 7}
OUR_LOGGERS = "clova_client"

# What ProcessorFormatter adds to a foreign record's event dict; removed before rendering.
_FORMATTER_META = frozenset({"_record", "_from_structlog"})

_handler: logging.Handler | None = None
JOURNAL_SOCKET = "/run/systemd/journal/socket"
SYSLOG_IDENTIFIER = "clova-client"
_FIELD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_RENAMED_FIELDS = {"event": "EVENT", "level": "LEVEL", "state": "CIC_STATE"}


class PlayerLogFields:
    """The AudioPlayer's state and token as of its last notice, for lines logged in other tasks
    (the inbox's directives, the buttons' events): a contextvar bound in the engine's task
    never reaches them, so the engine's notices update this one holder and a processor reads it."""

    def __init__(self) -> None:
        self.player = "IDLE"
        self.token: str | None = None

    def update(self, player: str, token: str | None) -> None:
        self.player, self.token = player, token


PLAYER_LOG = PlayerLogFields()
"""The process's one holder (the daemon subscribes it to the AudioPlayer engine)."""


class Redactor:
    """structlog processor: removes auth secrets, bearer values and URL query strings."""

    def __init__(self, secrets_provider: SecretsProvider | None = None) -> None:
        self._secrets_provider = secrets_provider

    def _secrets(self) -> tuple[str, ...]:
        if self._secrets_provider is None:
            return ()
        try:
            return tuple(s for s in self._secrets_provider() if s)
        except Exception:  # a broken provider must not stop logging
            return ()

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
        secrets = self._secrets()
        return {
            key: value if key in _FORMATTER_META else redact_value(value, secrets)
            for key, value in event_dict.items()
        }


class JournalRenderer:
    """``<6>event="..." key=value ...``: logfmt that journald files under the right priority
    (without the prefix when the priority travels as a native field)."""

    def __init__(self, *, prefix: bool = True) -> None:
        self._logfmt = structlog.processors.LogfmtRenderer(key_order=["event"], bool_as_flag=False)
        self._prefix = prefix

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        line = self._logfmt(logger, name, event_dict)
        if not self._prefix:
            return line
        priority = PRIORITIES.get(str(event_dict.get("level", name)), 6)
        return f"<{priority}>{line}"


def journal_fields(event_dict: EventDict) -> dict[str, str]:
    """journald fields of one event: ``PRIORITY`` and each key in upper case (``EVENT``,
    ``TOKEN``, ``MESSAGE_ID``...); a key journald cannot hold is left to the MESSAGE text."""
    level = str(event_dict.get("level", "info"))
    fields = {"PRIORITY": str(PRIORITIES.get(level, 6))}
    for key, value in event_dict.items():
        if key in _FORMATTER_META or key == "timestamp" or value is None:
            continue
        name = _RENAMED_FIELDS.get(key, key.upper())
        if name.startswith("_") or len(name) > 64 or not set(name) <= _FIELD_CHARS:
            continue
        fields.setdefault(name, value if isinstance(value, str) else json.dumps(value, default=str))
    if event_dict.get("logger") == "clova_client.cic.state" and "new" in event_dict:
        fields["CIC_STATE"] = str(event_dict["new"])
    return fields


class _StashJournalFields:
    """ProcessorFormatter step: keeps the event's journald fields for the handler that is
    formatting it (ProcessorFormatter works on a copy of the record: a thread-local it is)."""

    def __init__(self) -> None:
        self.local = threading.local()

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
        fields = journal_fields(event_dict)
        record = event_dict.get("_record")
        if isinstance(record, logging.LogRecord):
            fields["CODE_FILE"] = record.pathname
            fields["CODE_LINE"] = str(record.lineno)
            fields["CODE_FUNC"] = record.funcName
        self.local.fields = fields
        return event_dict

    def take(self) -> dict[str, str]:
        fields: dict[str, str] = getattr(self.local, "fields", {})
        self.local.fields = {}
        return fields


class JournaldHandler(logging.Handler):
    """Sends each record to journald natively; the stream handler is its fallback (no socket,
    or journald refusing the datagram), so no line is ever lost."""

    def __init__(
        self, send: Callable[..., None], fallback: logging.Handler, chain: list[Processor]
    ) -> None:
        super().__init__()
        self._send = send
        self._fallback = fallback
        self._stash = _StashJournalFields()
        self.setFormatter(_formatter(chain, JournalRenderer(prefix=False), stash=self._stash))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            fields = self._stash.take()
            fields.setdefault("PRIORITY", str(PRIORITIES.get(record.levelname.lower(), 6)))
            self._send(
                message=message,
                syslog_identifier=SYSLOG_IDENTIFIER,
                **{k.lower(): v for k, v in fields.items()},
            )
        except Exception:
            self._fallback.handle(record)


def _native_journal() -> Callable[..., None] | None:
    """cysystemd's ``send`` when journald's socket is there, else None."""
    if not os.path.exists(JOURNAL_SOCKET):
        return None
    try:
        from cysystemd import journal
    except ImportError:
        return None
    return cast(Callable[..., None], journal.send)


class _ThirdPartyFilter(logging.Filter):
    """Our events pass at the configured level; other libraries' records from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return (
            hasattr(record, "_logger")  # came through structlog
            or record.name == OUR_LOGGERS
            or record.name.startswith(OUR_LOGGERS + ".")
            or record.levelno >= logging.WARNING
        )


def under_journald(stream: TextIO) -> bool:
    """True when ``stream`` is connected to journald (``JOURNAL_STREAM`` names its device:inode)."""
    value = os.environ.get("JOURNAL_STREAM")
    if not value:
        return False
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return True  # no descriptor to compare (a test buffer): trust the variable
    try:
        st = os.fstat(fd)
        device, inode = (int(part) for part in value.split(":", 1))
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def resolve_format(fmt: LogFormat, stream: TextIO) -> LogFormat:
    """``auto`` becomes ``journal`` under journald, else ``console``."""
    if fmt != "auto":
        return fmt
    return "journal" if under_journald(stream) else "console"


def _renderer(fmt: LogFormat, stream: TextIO) -> Processor:
    if fmt == "journal":
        return JournalRenderer()
    if fmt == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    colors = bool(getattr(stream, "isatty", lambda: False)())
    return structlog.dev.ConsoleRenderer(colors=colors)


def configure_logging(
    fmt: LogFormat = "auto",
    level: str | int = "info",
    *,
    stream: TextIO | None = None,
    secrets_provider: SecretsProvider | None = None,
    observers: Sequence[Processor] = (),
    native_journal: bool = True,
) -> LogFormat:
    """Configure structlog and stdlib logging; returns the format chosen. Safe to call again.

    ``stream`` defaults to ``sys.stderr`` at call time. ``secrets_provider`` returns the current
    auth token values (the daemon wires it to its token store); they never reach the output.
    ``observers`` see every event after redaction (e.g. the daemon's recent-errors list).
    ``native_journal``: in journal format, send structured fields when journald is there.
    """
    global _handler
    out = stream if stream is not None else sys.stderr
    chosen = resolve_format(fmt, out)
    numeric = level if isinstance(level, int) else logging.getLevelNamesMapping()[level.upper()]

    # The redactor comes last: after it only the hand-over to logging and the renderer.
    chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.StackInfoRenderer(),
    ]
    if chosen != "journal":
        utc = chosen == "json"
        chain.append(structlog.processors.TimeStamper(fmt="iso", utc=utc, key="timestamp"))
    chain += [structlog.processors.format_exc_info, Redactor(secrets_provider), *observers]

    structlog.configure(
        processors=[
            chain[0],
            structlog.stdlib.filter_by_level,
            *chain[1:],
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    stream_handler = logging.StreamHandler(out)
    stream_handler.setFormatter(_formatter(chain, _renderer(chosen, out)))
    handler: logging.Handler = stream_handler
    send = _native_journal() if chosen == "journal" and native_journal else None
    if send is not None:
        handler = JournaldHandler(send, stream_handler, chain)
    handler.addFilter(_ThirdPartyFilter())

    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(numeric)
    _handler = handler
    logging.captureWarnings(True)
    return chosen


def set_level(level: str) -> None:
    """Change the level at run time (SIGHUP re-reads it from the config)."""
    logging.getLogger().setLevel(logging.getLevelNamesMapping()[level.upper()])


def _formatter(
    chain: list[Processor], renderer: Processor, stash: Processor | None = None
) -> logging.Formatter:
    steps: list[Processor] = [stash] if stash is not None else []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,  # other libraries' records
        processors=[
            *steps,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
