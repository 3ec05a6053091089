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
from .scenario import ScenarioError, ScenarioRunner, StepFailed, load_scenario
from .server import SUBTYPES, MockCicServer

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
DEFAULT_PORT = 8765


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
    return MockCicServer(
        tokens=tokens,
        refresh_tokens=refresh,
        host=args.host,
        port=args.port,
        media_dir=args.media_dir,
        subtype=args.subtype,
    )


def _print(text: str) -> None:
    print(text, flush=True)


async def run_scenario(path: Path, base_url: str) -> int:
    """Run a scenario file against the mock at ``base_url``; the exit code."""
    try:
        scenario = load_scenario(path)
        async with ControlClient(base_url) as client:
            await ScenarioRunner(scenario, client, out=_print).run()
    except StepFailed:
        return EXIT_FAILED
    except (ScenarioError, ControlApiError) as exc:
        _print(f"ERROR {exc}")
        return EXIT_ERROR
    return EXIT_OK


async def serve(args: argparse.Namespace, scenario: Path | None) -> int:
    server = make_server(args)
    await server.start()
    _print(f"mock CIC listening on {server.base_url}")
    try:
        if scenario is not None:
            return await run_scenario(scenario, server.base_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return EXIT_OK
    finally:
        await server.stop()


def _serve_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--tokens-file", type=Path, help="YAML/JSON {access token: device id}")
    parser.add_argument("--media-dir", type=Path, help="files served at /media/")
    parser.add_argument("--subtype", choices=SUBTYPES, default="related")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clova-mock-cic", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="run the mock CIC server")
    _serve_options(serve_cmd, port=DEFAULT_PORT)
    serve_cmd.add_argument(
        "--scenario", type=Path, help="run this scenario once a client connects, then exit 0/1"
    )
    run_cmd = sub.add_parser("run-scenario", help="drive a mock with a scenario file")
    run_cmd.add_argument("file", type=Path)
    run_cmd.add_argument("--base-url", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    run_cmd.add_argument("--serve", action="store_true", help="start a mock in this process")
    _serve_options(run_cmd, port=DEFAULT_PORT)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("auto", args.log_level, stream=sys.stderr)  # stdout: the scenario report
    try:
        if args.command == "serve":
            return asyncio.run(serve(args, args.scenario))
        if args.serve:
            return asyncio.run(serve(args, args.file))
        return asyncio.run(run_scenario(args.file, args.base_url))
    except (ScenarioError, OSError) as exc:
        _print(f"ERROR {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
