"""``clova-mock-cic serve`` and ``clova-mock-cic run-scenario``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from clova_client.logging import configure_logging

from .control_client import ControlApiError, ControlClient
from .rules import DEFAULT_CONFLICT_WINDOW, Rules
from .scenario import Scenario, ScenarioError, ScenarioRunner, StepFailed, load_scenario
from .server import SUBTYPES, MockCicServer

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
DEFAULT_PORT = 8765
DEFAULT_CONTROL_PORT = 8766


def load_tokens(path: Path) -> tuple[dict[str, str], dict[str, str] | None]:
    """``{token: device}``, or ``{tokens: {..}, refresh_tokens: {..}}`` (YAML or JSON)."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of token -> device")
    if "tokens" in data:
        refresh = data.get("refresh_tokens")
        return (
            {str(k): str(v) for k, v in data["tokens"].items()},
            None if refresh is None else {str(k): str(v) for k, v in refresh.items()},
        )
    return {str(k): str(v) for k, v in data.items()}, None


def make_server(args: argparse.Namespace) -> MockCicServer:
    tokens, refresh = load_tokens(args.tokens_file) if args.tokens_file else (None, None)
    rules = Rules(downchannel_conflict_window=args.conflict_window)
    return MockCicServer(
        tokens=tokens,
        refresh_tokens=refresh,
        host=args.host,
        port=args.port,
        control_port=args.control_port,
        media_dir=args.media_dir,
        subtype=args.subtype,
        tls=not args.h2c,
        ca_file=args.ca_file,
        rules=rules,
    )


def _print(text: str) -> None:
    print(text, flush=True)


async def run_scenario(path: Path | Scenario, control_url: str) -> int:
    """Run a scenario (or its file) against the mock whose control API is at ``control_url``."""
    try:
        scenario = path if isinstance(path, Scenario) else load_scenario(path)
        async with ControlClient(control_url) as client:
            await ScenarioRunner(scenario, client, out=_print).run()
    except StepFailed:
        return EXIT_FAILED
    except (ScenarioError, ControlApiError) as exc:
        _print(f"ERROR {exc}")
        return EXIT_ERROR
    return EXIT_OK


async def serve(args: argparse.Namespace, path: Path | None) -> int:
    scenario = None if path is None else load_scenario(path)  # a bad file: exit 2 before serving
    server = make_server(args)
    await server.start()
    _print(f"mock CIC listening on {server.base_url}")
    _print(f"mock control API, media and /token on {server.control_url}")
    if server.ca_file is not None:
        _print(f"mock CA certificate: {server.ca_file}")
    try:
        if scenario is not None:
            return await run_scenario(scenario, server.control_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return EXIT_OK
    finally:
        await server.stop()


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="the HTTP/2 CIC port (0: a free one)"
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=DEFAULT_CONTROL_PORT,
        help="plain HTTP: /_mock/, /media/, /token (0: a free one)",
    )
    parser.add_argument(
        "--h2c", action="store_true", help="cleartext HTTP/2 (prior knowledge) instead of TLS"
    )
    parser.add_argument("--ca-file", type=Path, help="write the CA certificate (PEM) here")
    parser.add_argument("--tokens-file", type=Path, help="YAML/JSON {access token: device id}")
    parser.add_argument("--media-dir", type=Path, help="files served at /media/")
    parser.add_argument("--subtype", choices=SUBTYPES, default="related")
    parser.add_argument(
        "--conflict-window",
        type=float,
        default=DEFAULT_CONFLICT_WINDOW,
        help="seconds in which a second downchannel gets 429 (0: never)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clova-mock-cic", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="run the mock CIC server")
    _serve_options(serve_cmd)
    serve_cmd.add_argument(
        "--scenario", type=Path, help="run this scenario once a client connects, then exit 0/1"
    )
    run_cmd = sub.add_parser("run-scenario", help="drive a mock with a scenario file")
    run_cmd.add_argument("file", type=Path)
    run_cmd.add_argument(
        "--control-url",
        "--base-url",
        dest="control_url",
        default=f"http://127.0.0.1:{DEFAULT_CONTROL_PORT}",
        help="the mock's control API (plain HTTP)",
    )
    run_cmd.add_argument("--serve", action="store_true", help="start a mock in this process")
    _serve_options(run_cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("auto", args.log_level, stream=sys.stderr)  # stdout: the scenario report
    try:
        if args.command == "serve":
            return asyncio.run(serve(args, args.scenario))
        if args.serve:
            return asyncio.run(serve(args, args.file))
        return asyncio.run(run_scenario(args.file, args.control_url))
    except (ScenarioError, OSError) as exc:
        _print(f"ERROR {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
