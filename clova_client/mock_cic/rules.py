"""CIC's rules the mock enforces, each one switchable (all on by default)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clova_client.cic.user_agent import UserAgentError, parse_user_agent

DEFAULT_CONFLICT_WINDOW = 0.5
WITHOUT_CONTEXT = frozenset({"AudioPlayer.StreamRequested"})
"""AudioPlayer events the spec sends with no context ("Context fields: None", both revisions)."""


@dataclass
class Rules:
    """``same_connection``: an event must come on the connection of the device's open downchannel,
    after Clova.Hello was written on it (else 412). ``user_agent``: every CIC request carries a
    ``Maker/Product/1.2.3 (OS 1.0;Hardware;k=v)`` User-Agent (else 400). ``playback_state``: an
    ``AudioPlayer.*`` event but StreamRequested carries the ``AudioPlayer.PlaybackState``
    context (else 400).
    ``downchannel_conflict_window``: a second downchannel of a device opened within this many
    seconds of the first gets 429 (0: never; otherwise the second releases the first).
    """

    same_connection: bool = True
    user_agent: bool = True
    playback_state: bool = True
    downchannel_conflict_window: float = DEFAULT_CONFLICT_WINDOW

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def user_agent_problem(header: str | None) -> str | None:
    """Why this User-Agent breaks CIC's grammar, or None when it is fine."""
    if not header:
        return "no User-Agent header"
    try:
        parse_user_agent(header)
    except UserAgentError as exc:
        return f"malformed User-Agent: {exc}"
    return None


def playback_state_problem(name: str, message: dict[str, Any]) -> str | None:
    """An AudioPlayer event without the AudioPlayer.PlaybackState context: the reason, else None."""
    if not name.startswith("AudioPlayer.") or name in WITHOUT_CONTEXT:
        return None
    for item in message.get("context") or []:
        header = item.get("header") if isinstance(item, dict) else None
        if (
            isinstance(header, dict)
            and header.get("namespace") == "AudioPlayer"
            and header.get("name") == "PlaybackState"
        ):
            return None
    return f"{name} carries no AudioPlayer.PlaybackState context"
