"""CIC client benchmark against the mock server on loopback (same process, same event loop),
over HTTP/2 with TLS as against CIC.

    .venv/bin/python bench/cic.py

Last line: one JSON object. No assertions; docs/PERFORMANCE.md lists the goals.
- event_rtt_ms_p50/p99: ``client.delivery.store(event)`` called -> the mock records it, one at a
  time (outbox write with fsync, POST, 204, outbox delete), 1000 events.
- directives_per_s: the mock pushes no-op directives on the downchannel -> client -> router ->
  no-op handler, 5000 directives in pushes of 50.
- reconnect_ms_median: ``mock.restart()`` returned -> downchannel open again, 15 restarts.
Logging is configured as the daemon does (journal format, level info) into /dev/null, so the
cost of one log line per directive and per event is included.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clova_client.agents.router import Router
from clova_client.cic.auth import TokenStore
from clova_client.cic.client import CicClient
from clova_client.cic.outbox import Outbox
from clova_client.cic.settings import CicSettings
from clova_client.cic.user_agent import UserAgent
from clova_client.logging import configure_logging
from clova_client.mock_cic import MockCicServer
from clova_client.mock_cic.messages import directive
from clova_client.protocol import Directive, context_item, make_event

DEVICE, TOKEN = "bench", "bench-access-token"
CONTEXT = [context_item("AudioPlayer", "PlaybackState", {"playerActivity": "PLAYING"})]
EVENTS, DIRECTIVES, PUSH, RESTARTS = 1000, 5000, 50, 15
STABLE_AFTER_S = 0.5


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(workdir: Path) -> dict[str, Any]:
    token_file = workdir / "token.json"
    token_file.write_text(json.dumps({"access_token": TOKEN, "refresh_token": "refresh-bench"}))
    token_file.chmod(0o600)
    handled = 0
    all_handled = asyncio.Event()

    async def noop(d: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        nonlocal handled
        handled += 1
        if handled == DIRECTIVES:
            all_handled.set()

    async with MockCicServer(tokens={TOKEN: DEVICE}) as mock:
        router = Router()
        router.register("Bench", "Noop", noop)
        settings = CicSettings(
            base_url=mock.base_url,  # HTTP/2 over TLS, like CIC
            user_agent=UserAgent("Bench", "Speaker", "1.0.0", "Linux", "6", "x86"),
            auth_url=mock.auth_url,
            ca_file=mock.ca_file,
            stable_after_s=STABLE_AFTER_S,
        )
        outbox = Outbox(workdir / "outbox.db")
        client = CicClient(settings, TokenStore(token_file), outbox, router, rng=random.Random(1))
        client.register_handlers(router)
        run = asyncio.create_task(client.run())
        await mock.wait_downchannel(DEVICE)

        rtts = []
        for i in range(EVENTS):
            payload = {"token": f"t{i}"}
            event = make_event("AudioPlayer", "ProgressReportIntervalPassed", payload, CONTEXT)
            start = time.time()
            await client.delivery.store(event)
            got = await mock.wait_event(DEVICE, event.full_name, index=i)
            rtts.append((got.received_at - start) * 1000)

        started = time.perf_counter()
        for base in range(0, DIRECTIVES, PUSH):
            batch = [directive("Bench", "Noop", {"n": base + k}) for k in range(PUSH)]
            await mock.push(DEVICE, *batch)
            await asyncio.sleep(0)
        await asyncio.wait_for(all_handled.wait(), 120)
        directives_per_s = DIRECTIVES / (time.perf_counter() - started)

        reconnects = []
        for n in range(RESTARTS):
            await asyncio.sleep(STABLE_AFTER_S * 1.5)  # a stable connection: backoff resets
            await mock.restart()
            back_up = time.perf_counter()
            await mock.wait_downchannel(DEVICE, opened_count=n + 2, timeout=30)
            reconnects.append((time.perf_counter() - back_up) * 1000)

        run.cancel()
        await client.close()
        outbox.close()
    return {
        "event_rtt_ms_p50": round(percentile(rtts, 50), 2),
        "event_rtt_ms_p99": round(percentile(rtts, 99), 2),
        "directives_per_s": round(directives_per_s),
        "reconnect_ms_median": round(statistics.median(reconnects), 1),
        "events": EVENTS,
        "directives": DIRECTIVES,
        "restarts": RESTARTS,
    }


if __name__ == "__main__":
    with open(os.devnull, "w") as sink, tempfile.TemporaryDirectory() as tmp:
        configure_logging("journal", "info", stream=sink, secrets_provider=lambda: (TOKEN,))
        result = asyncio.run(main(Path(tmp)))
    print(json.dumps(result))
