"""The RSS floor of the daemon's stack, none of its own code: the baseline of bench/daemon.py.

    PYTHON bench/stack_floor.py URL VLC_ARG...

Run by bench/daemon.py with the installed speaker's Python. Imports what the daemon cannot run
without (asyncio, ssl, sqlite3, pydantic with pydantic-settings, httpx with h2, structlog,
sdnotify, python-vlc), makes one of each thing the daemon keeps alive (a TLS context with the
system's trust store, an HTTP/2 client, a pydantic model, a SQLite connection, a libVLC instance
and player with the daemon's arguments), prints VmRSS (KiB) as ``idle N``; then plays URL on
that player and prints ``playing N`` after 5 s of sound. Only the standard library and the
stack: importing clova_client here would measure the daemon, not its floor.
"""

from __future__ import annotations

import sqlite3
import ssl
import sys
import threading
import time


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    import asyncio  # noqa: F401  # the daemon's loop
    import json  # noqa: F401

    import httpx
    import pydantic
    import pydantic_settings
    import sdnotify  # noqa: F401
    import structlog
    import vlc

    class Sample(pydantic_settings.BaseSettings):
        level: str = "info"

    class Message(pydantic.BaseModel):
        name: str
        offset_ms: int = 0

    Sample()
    Message(name="x")
    structlog.get_logger("floor").debug("start")  # to stdout: bench/daemon.py reads 2 lines
    client = httpx.AsyncClient(http2=True, verify=ssl.create_default_context())
    db = sqlite3.connect(":memory:")
    url, args = sys.argv[1], sys.argv[2:]
    instance = vlc.Instance(args)
    player = instance.media_player_new()
    time.sleep(1)
    print(f"idle {rss_kib()}", flush=True)

    sounding = threading.Event()
    player.event_manager().event_attach(
        vlc.EventType.MediaPlayerTimeChanged, lambda _event: sounding.set()
    )
    player.set_media(instance.media_new(url))
    player.play()
    sounding.wait(30)
    time.sleep(5)
    print(f"playing {rss_kib()}", flush=True)
    player.stop()
    del client, db


if __name__ == "__main__":
    main()
