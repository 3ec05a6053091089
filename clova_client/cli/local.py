"""Subcommands that work without a running daemon: run, check-config, token, devices, validate."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, get_args

from ..logging import LogFormat
from .common import EXIT_CONFIG, EXIT_ERROR, Failure, config_option, config_path, load

if TYPE_CHECKING:
    from ..cic.auth import TokenStore
    from ..config import Settings
    from .common import Commands


def _validate(args: argparse.Namespace) -> int:
    from .validate import run

    return run(args.files, sys.stdout)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = load(args, files=True)
    except Failure as exc:  # logged, so it carries its priority in every format (<3>)
        import structlog

        from ..logging import configure_logging

        configure_logging(args.log_format or "auto", "info")
        structlog.get_logger("clova_client.cli").error("cannot_start", reason=str(exc))
        return exc.status
    from ..daemon.app import run  # the daemon's imports (libVLC, HTTP/2) only for this command

    return run(settings, args.log_format or settings.log.format, config_path(args.config))


def _check_config(args: argparse.Namespace) -> int:
    from ..control import socket_path

    path = config_path(args.config)
    settings = load(args, files=True)
    _token_store(settings)  # the same one-line errors as 'run': missing, mode, format
    print(f"config ok: {path if path is not None else 'built-in defaults (no config file)'}")
    print(f"  state_dir: {settings.state_dir}")
    print(f"  cic.base_url: {settings.cic.base_url}")
    print(f"  player.audio_output: {settings.player.audio_output}")
    print(f"  control socket: {socket_path(settings.control_dir)}")
    print(f"  token file: {settings.auth.access_token_file}")
    return 0


def _token_store(settings: Settings) -> TokenStore:
    from ..cic.auth import TokenFileError, TokenStore

    try:
        return TokenStore(settings.auth.access_token_file)
    except TokenFileError as exc:
        raise Failure(f"{exc} (clova-client token set writes one)", EXIT_CONFIG) from None


def _token_set(args: argparse.Namespace) -> int:
    from ..cic.auth import TokenFileError
    from .token import MAX_INPUT_BYTES, tokens_from_input, write_tokens

    path = load(args).auth.access_token_file
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
    from .token import describe

    store = _token_store(load(args))
    print("\n".join([f"token file {store.path}: ok", *describe(store)]))
    return 0


def _devices(args: argparse.Namespace) -> int:
    from ..player.backends.vlc.devices import alsa_devices

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


def add_validate(commands: Commands) -> None:
    p = commands.add_parser(
        "validate",
        help="check that files hold valid Clova / NUGU messages",
        description="Check each FILE (one JSON message each: directive, event, context, CEK "
        "response or EventRequest, bare payload; '-' reads stdin). Prints one verdict per file; "
        "exit 0 when all are valid, 1 otherwise.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_validate)


def add_run(commands: Commands) -> None:
    p = commands.add_parser(
        "run",
        help="run the daemon in the foreground (what the systemd unit starts)",
        description="Load the settings and run the daemon until SIGTERM / SIGINT. "
        "A configuration error is one line on stderr and exit 2.",
    )
    config_option(p)
    p.add_argument(
        "--log-format",
        choices=get_args(LogFormat),
        help="log line format (default: the config's log.format; auto = journal under "
        "journald, else console)",
    )
    p.set_defaults(func=_run)


def add_check_config(commands: Commands) -> None:
    p = commands.add_parser(
        "check-config",
        help="validate the settings and exit",
        description="Load the settings as 'run' would. Prints 'config ok: PATH' and the key "
        "values (exit 0), or the one-line problem (exit 2).",
    )
    config_option(p)
    p.set_defaults(func=_check_config)


def add_devices(commands: Commands) -> None:
    p = commands.add_parser(
        "devices",
        help="list the ALSA devices this speaker can play to",
        description="List the ALSA PCM devices (as libVLC's ALSA output sees them) whose names "
        "[player] alsa_device takes. Needs no running daemon.",
    )
    p.set_defaults(func=_devices)


def add_token(commands: Commands) -> None:
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
        config_option(sub)
        sub.set_defaults(func=func)
