"""The matrix's jobs: what each speaker process plays, and running them side by side.

A job is one ``tests/media/runner.py`` process with one output (``null`` or ``pulse``: its own
null sink). Every encoding gets a job of three plays (from the start; from 3000 ms; a seek to
2500 ms one second in); the live stream, the 302, the signed URL, the 410 and the truncated MP3
get one each. Jobs run ``MATRIX_JOBS`` (default 10) at a time: they share no output, so running
them together changes no measurement, and the matrix takes ~3 waves instead of ~30 plays in a row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.media.analysis import JobResult
from tests.support.matrix_media import ENCODINGS
from tests.support.nginx import Nginx
from tests.support.pulse import PrivatePulse

OUTPUTS = ("null", "pulse")
PROGRESS = (1000, 2000, 4500)
"""Delay 1000, interval 2000, position 4500 (ms)."""
BEGIN_MS = 3000
SEEK_AFTER_S = 1.0
SEEK_TO_MS = 2500
SEEK_STOP_AFTER_S = 2.5
LIVE_STOP_AFTER_S = 5.0
MISC = ("live", "redirect", "signed", "gone", "truncated")

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Servers:
    web: Nginx
    live_url: str
    cut_url: str
    pulse: PrivatePulse | None
    pulse_error: str | None


def _item(token: str, url: str, begin: int = 0, progress: bool = True) -> dict[str, Any]:
    return {"token": token, "url": url, "begin": begin, "progress": PROGRESS if progress else None}


def plays_for(kind: str, servers: Servers) -> list[dict[str, Any]]:
    """The plays of the job for an encoding name or one of ``MISC``."""
    web = servers.web
    mp3 = "chirp-cbr.mp3"
    if kind == "live":
        stop = {"do": "stop", "after_s": LIVE_STOP_AFTER_S}
        return [{"label": "live", "items": [_item("live", servers.live_url)], "actions": [stop]}]
    if kind == "redirect":
        return [{"label": "redirect", "items": [_item("redirected", web.url("redirect", mp3))]}]
    if kind == "signed":
        return [{"label": "signed", "items": [_item("signed", web.url("signed", mp3))]}]
    if kind == "gone":
        items = [_item("gone", web.url("gone", mp3)), _item("next", web.url("media", mp3))]
        return [{"label": "gone", "items": items}]
    if kind == "truncated":
        return [
            {"label": "truncated", "items": [_item("cut", servers.cut_url)]},
            {"label": "whole", "items": [_item("whole", web.url("media", mp3))]},
        ]
    encoding = next(e for e in ENCODINGS if e.name == kind)
    url = web.url("media", encoding.path)
    seek = {"do": "seek", "after_s": SEEK_AFTER_S, "to_ms": SEEK_TO_MS}
    stop = {"do": "stop", "after_s": SEEK_STOP_AFTER_S}
    return [
        {"label": "begin0", "items": [_item("begin0", url)]},
        {"label": "begin3000", "items": [_item("begin3000", url, BEGIN_MS)]},
        {"label": "seek", "items": [_item("seek", url, progress=False)], "actions": [seek, stop]},
    ]


def all_keys() -> list[str]:
    kinds = [e.name for e in ENCODINGS] + list(MISC)
    return [f"{output}-{kind}" for output in OUTPUTS for kind in kinds]


class JobFailed(RuntimeError):
    pass


def run_jobs(
    keys: list[str], servers: Servers, work: Path, concurrency: int | None = None
) -> dict[str, JobResult | str]:
    """Run the jobs ``keys`` (``OUTPUT-KIND``); each result, or why it has none."""
    work.mkdir(parents=True, exist_ok=True)
    limit = concurrency or int(os.environ.get("MATRIX_JOBS", "10"))
    pending: list[tuple[str, list[str], dict[str, str]]] = []
    results: dict[str, JobResult | str] = {}
    for key in keys:
        output, _, kind = key.partition("-")
        job: dict[str, Any] = {"output": output, "plays": plays_for(kind, servers)}
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        if output == "pulse":
            if servers.pulse is None:
                results[key] = f"PulseAudio is not available: {servers.pulse_error}"
                continue
            job["sink"] = servers.pulse.sink(key.replace("-", "_"))
            env.update(servers.pulse.env(job["sink"]))
        spec = work / f"{key}.json"
        spec.write_text(json.dumps(job))
        pending.append((key, [sys.executable, "-m", "tests.media.runner", str(spec)], env))
    running: dict[str, subprocess.Popen[bytes]] = {}
    while pending or running:
        while pending and len(running) < limit:
            key, cmd, env = pending.pop(0)
            with (work / f"{key}.stderr").open("wb") as err:
                running[key] = subprocess.Popen(
                    cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err
                )
        time.sleep(0.1)
        for key, proc in list(running.items()):
            if proc.poll() is None:
                continue
            del running[key]
            stderr = (work / f"{key}.stderr").read_text(errors="replace")
            if proc.returncode != 0:
                results[key] = f"runner {key} exited {proc.returncode}:\n{stderr[-3000:]}"
                continue
            results[key] = JobResult.load(work / key, stderr)
    return results
