"""The baseline every start-up figure is compared with: plain python-vlc, no engine."""

from __future__ import annotations

import threading
import time
from typing import Any

import vlc

from clova_client.player.backends.vlc import NULL_CHANNELS, NULL_RATE


def raw_vlc_start(instance: Any, url: str) -> tuple[float, float]:
    """python-vlc ``play()`` -> first TimeChanged and -> first PCM block (ms), one fresh player,
    the same real-time paced memory output as VlcBackend("null")."""
    player = instance.media_player_new()
    first_time = threading.Event()
    marks: dict[str, float] = {}
    frames = {"n": 0, "t0": 0.0}

    def on_play(_o: Any, _s: Any, count: int, _pts: int) -> None:
        now = time.monotonic()
        if "pcm" not in marks:
            marks["pcm"] = now
            frames["t0"] = now
        frames["n"] += count
        delay = frames["t0"] + frames["n"] / NULL_RATE - now
        if delay > 0 and not first_time.is_set():
            time.sleep(delay)

    def on_time(ev: Any) -> None:
        if "time" not in marks:
            marks["time"] = time.monotonic()
            first_time.set()

    play_cb = vlc.CallbackDecorators.AudioPlayCb(on_play)
    player.audio_set_callbacks(play_cb, None, None, None, None, None)
    player.audio_set_format("S16N", NULL_RATE, NULL_CHANNELS)
    player.event_manager().event_attach(vlc.EventType.MediaPlayerTimeChanged, on_time)
    media = instance.media_new_location(url)
    player.set_media(media)
    t0 = time.monotonic()
    player.play()
    first_time.wait(10)
    player.stop()
    player.event_manager().event_detach(vlc.EventType.MediaPlayerTimeChanged)
    player.release()
    media.release()
    return (marks.get("time", float("nan")) - t0) * 1000, (
        marks.get("pcm", float("nan")) - t0
    ) * 1000
