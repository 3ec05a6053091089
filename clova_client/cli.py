"""The ``clova-client`` command line: one subcommand per function, added in ``build_parser``.

User errors (bad config, daemon not running) are one line on stderr and an exit status, never
a traceback: 2 for configuration and usage, 1 for everything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from . import __version__
from .logging import LogFormat

if TYPE_CHECKING:
    from typing import TypeAlias

    from .cic.auth import TokenStore
    from .config import Settings

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_CONFIG = Path("/etc/clova-client/config.toml")
CONFIG_ENV = "CLOVA_CONFIG"
EXIT_ERROR, EXIT_CONFIG = 1, 2
PRESS_WAIT_S = 60.0
"""How long ``press`` waits for the daemon's answer (it waits for CIC, at most button_ttl_s)."""


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


def _settings(args: argparse.Namespace) -> Settings:
    from .config import ConfigError, load_settings

    try:
        return load_settings(config_path(args.config))
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_CONFIG) from None


def _socket(args: argparse.Namespace) -> Path:
    from .control import socket_path

    return args.socket if args.socket is not None else socket_path(_settings(args).control_dir)


def _ask(path: Path, request: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
    """The ``result`` of a successful request; anything else is a ``Failure``."""
    from .control import ControlError, request_sync

    try:
        response = request_sync(path, request, timeout_s)
    except ControlError as exc:
        raise Failure(str(exc)) from None
    if not response["ok"]:
        raise Failure(f"clova-client refused: {response.get('error', 'no reason given')}")
    result = response.get("result")
    return result if isinstance(result, dict) else {}


# === subcommands ==========================================================================


def _validate(args: argparse.Namespace) -> int:
    from .validate import run

    return run(args.files, sys.stdout)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except Failure as exc:  # logged, so it carries its priority in every format (<3>)
        import structlog

        from .logging import configure_logging

        configure_logging(args.log_format or "auto", "info")
        structlog.get_logger("clova_client.cli").error("cannot_start", reason=str(exc))
        return exc.status
    from .app import run  # the daemon's imports (libVLC, HTTP/2) only for this command

    return run(settings, args.log_format or settings.log.format, config_path(args.config))


def _check_config(args: argparse.Namespace) -> int:
    from .control import socket_path

    path = config_path(args.config)
    settings = _settings(args)
    _token_store(settings)  # the same one-line errors as 'run': missing, mode, format
    print(f"config ok: {path if path is not None else 'built-in defaults (no config file)'}")
    print(f"  state_dir: {settings.state_dir}")
    print(f"  cic.base_url: {settings.cic.base_url}")
    print(f"  player.audio_output: {settings.player.audio_output}")
    print(f"  control socket: {socket_path(settings.control_dir)}")
    print(f"  token file: {settings.auth.access_token_file}")
    return 0


def _token_store(settings: Settings) -> TokenStore:
    from .cic.auth import TokenFileError, TokenStore

    try:
        return TokenStore(settings.auth.access_token_file)
    except TokenFileError as exc:
        raise Failure(f"{exc} (clova-client token set writes one)", EXIT_CONFIG) from None


def _token_set(args: argparse.Namespace) -> int:
    from .cic.auth import TokenFileError
    from .provision import MAX_INPUT_BYTES, tokens_from_input, write_tokens

    path = _settings(args).auth.access_token_file
    text = sys.stdin.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise Failure(f"token input larger than {MAX_INPUT_BYTES} bytes", EXIT_CONFIG)
    try:
        tokens = tokens_from_input(text)
        lines = write_tokens(path, tokens)
    except TokenFileError as exc:
        raise Failure(str(exc), EXIT_CONFIG) from None
    except OSError as exc:
        raise Failure(f"cannot write {path}: {exc.strerror or exc}") from None
    print("\n".join(lines))
    return 0


def _token_show(args: argparse.Namespace) -> int:
    from .provision import describe

    store = _token_store(_settings(args))
    print("\n".join([f"token file {store.path}: ok", *describe(store)]))
    return 0


def _status(args: argparse.Namespace) -> int:
    from .control import render_status

    document = _ask(_socket(args), {"cmd": "status"})
    if args.json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(render_status(document))
    return 0


def _press(args: argparse.Namespace) -> int:
    # The daemon answers once CIC took the press or its time ran out (button_ttl_s, 10 s).
    result = _ask(_socket(args), {"cmd": "press", "button": args.button}, timeout_s=PRESS_WAIT_S)
    event = result.get("event", args.button)
    ids = f" (messageId {result['message_id']})" if result.get("message_id") else ""
    if result.get("delivered") is False:
        print(f"dropped {event}{ids}: {result.get('note', 'not delivered in time')}")
        return EXIT_ERROR
    line = f"sent {event}{ids}"
    if result.get("note"):
        line += f"; {result['note']}"
    print(line)
    return 0


def _volume(args: argparse.Namespace) -> int:
    value: int | str | None = None
    if args.value is not None:
        value = args.value if args.value in ("up", "down") else _percent(args.value)
    result = _ask(_socket(args), {"cmd": "volume", "value": value})
    muted = " (muted)" if result.get("muted") else ""
    print(f"volume {result.get('volume')}{muted}")
    return 0


def _percent(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise Failure(f"volume: {text!r} is not 0-100, up or down", EXIT_CONFIG)
    return int(text)


def _devices(args: argparse.Namespace) -> int:
    from .player.vlc.devices import alsa_devices

    devices = alsa_devices()
    if not devices:
        print("no ALSA devices (is a sound card there? see aplay -l)")
        return EXIT_ERROR
    width = max(len(d.name) for d in devices)
    for device in devices:
        summary = device.description.splitlines()[0] if device.description else ""
        print(f"{device.name:<{width}}  {summary}")
    print('set one as [player] alsa_device = "NAME" (and audio_output = "alsa")')
    return 0


def _dialog(args: argparse.Namespace) -> int:
    result = _ask(_socket(args), {"cmd": "dialog", "id": args.id})
    line = f"dialog {args.id} is current"
    if result.get("superseded"):
        line += f"; late directives of {result['superseded']} will be dropped"
    print(line)
    return 0


# === parser ===============================================================================


def _config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=f"settings file (default: ${CONFIG_ENV}, else {DEFAULT_CONFIG} if it exists, "
        "else built-in defaults; CLOVA_<SECTION>__<KEY> variables override)",
    )


def _socket_options(p: argparse.ArgumentParser) -> None:
    _config_option(p)
    p.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help="the daemon's control socket (default: control.sock in the configured "
        "runtime_dir, else state_dir)",
    )


def _add_validate(commands: Commands) -> None:
    p = commands.add_parser(
        "validate",
        help="check that files hold valid Clova / NUGU messages",
        description="Check each FILE (one JSON message each: directive, event, context, CEK "
        "response or EventRequest, bare payload; '-' reads stdin). Prints one verdict per file; "
        "exit 0 when all are valid, 1 otherwise.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_validate)


def _add_run(commands: Commands) -> None:
    p = commands.add_parser(
        "run",
        help="run the daemon in the foreground (what the systemd unit starts)",
        description="Load the settings and run the daemon until SIGTERM / SIGINT. "
        "A configuration error is one line on stderr and exit 2.",
    )
    _config_option(p)
    p.add_argument(
        "--log-format",
        choices=get_args(LogFormat),
        help="log line format (default: the config's log.format; auto = journal under "
        "journald, else console)",
    )
    p.set_defaults(func=_run)


def _add_check_config(commands: Commands) -> None:
    p = commands.add_parser(
        "check-config",
        help="validate the settings and exit",
        description="Load the settings as 'run' would. Prints 'config ok: PATH' and the key "
        "values (exit 0), or the one-line problem (exit 2).",
    )
    _config_option(p)
    p.set_defaults(func=_check_config)


def _add_status(commands: Commands) -> None:
    p = commands.add_parser(
        "status",
        help="show what the running daemon is doing",
        description="Ask the running daemon for its connection, player, queue, outbox and "
        "recent errors. Exit 1 when it is not running or does not answer.",
    )
    _socket_options(p)
    p.add_argument("--json", action="store_true", help="print the raw status document")
    p.set_defaults(func=_status)


def _add_press(commands: Commands) -> None:
    from .control import Button

    p = commands.add_parser(
        "press",
        help="press a speaker button (sends PlaybackController.<Button>CommandIssued)",
        description="Press BUTTON on the running daemon, as the speaker's own button would: "
        "the matching *CommandIssued event goes to CIC. Exit 1 on any failure.",
    )
    p.add_argument(
        "button",
        choices=[b.value for b in Button],
        metavar="BUTTON",
        help=", ".join(b.value for b in Button),
    )
    _socket_options(p)
    p.set_defaults(func=_press)


def _add_volume(commands: Commands) -> None:
    p = commands.add_parser(
        "volume",
        help="show or set the output volume: volume [0-100|up|down]",
        description="Without VALUE, print the volume; with 0-100, up or down (10 at a time), "
        "set it on the running daemon. The volume is kept across restarts; Mute/Unmute from the "
        "cloud still work on top of it.",
    )
    p.add_argument("value", nargs="?", metavar="VALUE", help="0-100, up or down")
    _socket_options(p)
    p.set_defaults(func=_volume)


def _add_devices(commands: Commands) -> None:
    p = commands.add_parser(
        "devices",
        help="list the ALSA devices this speaker can play to",
        description="List the ALSA PCM devices (as libVLC's ALSA output sees them) whose names "
        "[player] alsa_device takes. Needs no running daemon.",
    )
    p.set_defaults(func=_devices)


def _add_dialog(commands: Commands) -> None:
    p = commands.add_parser(
        "dialog",
        help="announce a new voice dialog (its dialogRequestId): barge-in",
        description="Tell the running daemon that the speaker's voice component started a new "
        "dialog with this dialogRequestId. Directives that still arrive for the dialog it "
        "replaces are dropped (and logged); every other id, the cloud's included, is handled.",
    )
    p.add_argument("id", metavar="ID", help="the new dialog's dialogRequestId")
    _socket_options(p)
    p.set_defaults(func=_dialog)


def _add_token(commands: Commands) -> None:
    p = commands.add_parser(
        "token",
        help="write or show the token file (never prints a token)",
        description="'token set' reads the tokens on standard input: the token file's JSON "
        '({"access_token", "refresh_token", "expires_at"} or an OAuth response with '
        "expires_in), or the access token on line 1 and the refresh token on line 2; it writes "
        "the configured token file atomically, mode 0600, owned by the service user. A daemon "
        "waiting for its first token connects within a second. 'token show' prints the file's "
        "mode, whether a refresh token is there and when the access token expires.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func, text in (
        ("set", _token_set, "write the token file from standard input"),
        ("show", _token_show, "describe the token file (no secrets)"),
    ):
        sub = actions.add_parser(name, help=text, description=text)
        _config_option(sub)
        sub.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clova-client", description="Headless audio client for a Clova (CIC) speaker."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_run,
        _add_check_config,
        _add_status,
        _add_press,
        _add_dialog,
        _add_volume,
        _add_devices,
        _add_token,
        _add_validate,
    ):
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console script entry point; returns the exit status (argparse exits 2 on usage errors)."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except Failure as exc:
        print(exc, file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    return status
