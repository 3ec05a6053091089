"""The ``clova-client`` command line: one subcommand per function, added in ``build_parser``.

User errors (bad config, daemon not running) are one line on stderr and an exit status, never
a traceback: 2 for configuration and usage, 1 for everything else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .common import Failure
from .control import add_dialog, add_press, add_status, add_volume
from .local import add_check_config, add_devices, add_run, add_token, add_validate
from .recognize import add_recognize


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clova-client", description="Headless audio client for a Clova (CIC) speaker."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        add_run,
        add_check_config,
        add_status,
        add_press,
        add_dialog,
        add_recognize,
        add_volume,
        add_devices,
        add_token,
        add_validate,
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
