"""The item token a message concerns, and the empty attachment map: one definition each.

The token names the audio item (``audioItem.stream.token`` in a Play, ``token`` in most other
payloads, the PlaybackState context's ``stream.token`` in an event): the log lines carry it so a
technician can follow one track.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

NO_ATTACHMENTS: Mapping[str, bytes] = MappingProxyType({})
"""A directive that came without binary parts."""

_TOKEN_PATHS = (("audioItem", "stream"), ("audioStream",), ("stream",), ("audioItem",))


def item_token(payload: Any, context: Any = None) -> str | None:
    """The token a payload names (directly, or in its stream or audio item), else the one of
    the PlaybackState context; None when neither has one. Never raises on odd shapes."""
    if isinstance(payload, Mapping):
        if isinstance(payload.get("token"), str):
            return str(payload["token"])
        for path in _TOKEN_PATHS:
            node: Any = payload
            for key in path:
                node = node.get(key) if isinstance(node, Mapping) else None
            if isinstance(node, Mapping) and isinstance(node.get("token"), str):
                return str(node["token"])
    for item in context if isinstance(context, list) else []:
        header = item.get("header") if isinstance(item, Mapping) else None
        if isinstance(header, Mapping) and header.get("name") == "PlaybackState":
            state = item.get("payload")
            found = item_token(state.get("stream") if isinstance(state, Mapping) else None)
            if found is not None:
                return found
    return None


def attachment_of(attachments: Mapping[str, bytes], url: str) -> bytes | None:
    """The bytes a ``cid:`` URL names (AudioPlayer's stream, SpeechSynthesizer's Speak);
    Content-IDs match with or without angle brackets, on either side."""
    content_id = url[len("cid:") :].strip("<>")
    for key, data in attachments.items():
        if key.strip("<>") == content_id:
            return bytes(data)
    return None
