"""A tiny client process for the kill -9 test: queue N events, print their ids, run forever.

python -m tests.cic.outbox_runner --base-url URL [--ca-file PEM] --token-file F --outbox DB \
    --count N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import structlog

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from tests.cic.helpers import audio_event, settings_for

NAMES = ("PlayStarted", "ProgressReportDelayPassed", "PlayPaused", "PlayResumed", "PlayStopped")


async def main(args: argparse.Namespace) -> None:
    outbox = Outbox(args.outbox)
    settings = settings_for(args.base_url, ca_file=args.ca_file)
    router = Router()
    client = CicClient(settings, TokenStore(args.token_file), outbox, router)
    client.register_handlers(router)
    ids = []
    for i in range(args.count):
        name = NAMES[i % len(NAMES)]
        event = audio_event(name, {"token": f"{args.tag}-{i}"})
        await client.delivery.store(event)
        ids.append(event.message_id)
    print(json.dumps({"queued": ids}), flush=True)  # every one of them is durable now
    await client.run()


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    parser = argparse.ArgumentParser()
    for name in ("--base-url", "--token-file", "--outbox", "--tag"):
        parser.add_argument(name, required=name != "--tag", default="e")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--ca-file", type=Path, help="the CA to trust for https://")
    asyncio.run(main(parser.parse_args()))
