"""What every ``clova-client`` subcommand shares: settings, the control socket, errors."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..config import Settings

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_CONFIG = Path("/etc/clova-client/config.toml")
CONFIG_ENV = "CLOVA_CONFIG"
EXIT_ERROR, EXIT_CONFIG = 1, 2


class Failure(Exception):
    """A user-facing error: its one-line text goes to stderr, ``status`` is the exit code."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


def config_path(given: Path | None) -> Path | None:
    """``--config``, else ``$CLOVA_CONFIG``, else the system file if present, else None."""
    if given is not None:
        return given
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load(args: argparse.Namespace, *, files: bool = False) -> Settings:
    """The settings; with ``files`` also the files they name that the daemon reads at start."""
    from ..config import ConfigError, check_files, load_settings

    path = config_path(args.config)
    try:
        settings = load_settings(path)
        if files:
            check_files(settings, path)
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_CONFIG) from None
    return settings


def socket_of(args: argparse.Namespace) -> Path:
    from ..control import socket_path

    return args.socket if args.socket is not None else socket_path(load(args).control_dir)


def ask(path: Path, request: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
    """The ``result`` of a successful request; anything else is a ``Failure``."""
    from ..control import ControlError, request_sync

    try:
        response = request_sync(path, request, timeout_s)
    except ControlError as exc:
        raise Failure(str(exc)) from None
    if not response["ok"]:
        raise Failure(f"clova-client refused: {response.get('error', 'no reason given')}")
    result = response.get("result")
    return result if isinstance(result, dict) else {}


def config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=f"settings file (default: ${CONFIG_ENV}, else {DEFAULT_CONFIG} if it exists, "
        "else built-in defaults; CLOVA_<SECTION>__<KEY> variables override)",
    )


def socket_options(p: argparse.ArgumentParser) -> None:
    config_option(p)
    p.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help="the daemon's control socket (default: control.sock in the configured "
        "runtime_dir, else state_dir)",
    )
