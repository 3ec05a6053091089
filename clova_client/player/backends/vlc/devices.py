"""The ALSA devices libVLC can play to (``clova-client devices``), as names for
``player.alsa_device`` (``hw:CARD=sndrpihifiberry,DEV=0``, ``default``, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import vlc

from .output import QUIET_ARGS


@dataclass(frozen=True)
class AudioDevice:
    name: str
    """What ``player.alsa_device`` takes."""
    description: str


def alsa_devices() -> list[AudioDevice]:
    """ALSA's PCM devices as libVLC's ALSA output sees them (what ``aplay -L`` lists)."""
    instance: Any = vlc.Instance([*QUIET_ARGS])
    if instance is None:
        raise RuntimeError("libVLC could not start")
    found: list[AudioDevice] = []
    head = instance.audio_output_device_list_get("alsa")
    try:
        node = head
        while node:
            item = node.contents
            found.append(AudioDevice(_text(item.device), _text(item.description)))
            node = item.next
    finally:
        if head:
            vlc.libvlc_audio_output_device_list_release(head)
        instance.release()
    return found


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""
