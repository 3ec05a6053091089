"""One structlog configuration for the daemon and for stdlib loggers (aiohttp, httpx, asyncio).

Formats: ``journal`` (logfmt with a ``<N>`` syslog priority prefix, no timestamp: journald adds
one), ``console`` (readable, coloured on a TTY), ``json``. ``auto`` picks journal under journald,
else console. A redaction processor runs last before rendering, so no format shows a secret.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TextIO

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
    """``<6>event="..." key=value ...``: logfmt that journald files under the right priority."""

    def __init__(self) -> None:
        self._logfmt = structlog.processors.LogfmtRenderer(key_order=["event"], bool_as_flag=False)

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        priority = PRIORITIES.get(str(event_dict.get("level", name)), 6)
        return f"<{priority}>{self._logfmt(logger, name, event_dict)}"


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
) -> LogFormat:
    """Configure structlog and stdlib logging; returns the format chosen. Safe to call again.

    ``stream`` defaults to ``sys.stderr`` at call time. ``secrets_provider`` returns the current
    auth token values (the daemon wires it to its token store); they never reach the output.
    ``observers`` see every event after redaction (e.g. the daemon's recent-errors list).
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
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,  # other libraries' records
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _renderer(chosen, out),
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(_ThirdPartyFilter())

    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(numeric)
    _handler = handler
    logging.captureWarnings(True)
    return chosen
