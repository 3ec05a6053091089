"""The ``clova-client`` command line: one subcommand per function, added in ``build_parser``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def _validate(args: argparse.Namespace) -> int:
    from .validate import run

    return run(args.files, sys.stdout)


def _add_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "validate",
        help="check that files hold valid Clova / NUGU messages",
        description="Check each FILE (one JSON message each: directive, event, context, CEK "
        "response or EventRequest, bare payload; '-' reads stdin). Prints one verdict per file; "
        "exit 0 when all are valid, 1 otherwise.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_validate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clova-client", description="Headless audio client for a Clova (CIC) speaker."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_validate(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console script entry point; returns the exit status (argparse exits 2 on usage errors)."""
    args = build_parser().parse_args(argv)
    status: int = args.func(args)
    return status
