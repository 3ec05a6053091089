"""The player's tunables, with the defaults a Raspberry Pi speaker on a home network needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlayerSettings:
    open_timeout_s: float = 10.0
    """No sound this long after play (or resume) abandons the item."""

    stall_timeout_s: float = 10.0
    """Position frozen this long while PLAYING abandons the item."""

    stream_deliver_timeout_s: float = 8.0
    """No StreamDeliver this long after StreamRequested abandons the item."""

    stream_request_lead_s: float = 5.0
    """StreamRequested for the next ``urlPlayable: false`` item goes out this long before the
    current item ends (never earlier; at once when less than this is left)."""

    end_of_media_guard_ms: int = 3000
    """An ENDED this far or more before the known length is a broken stream, not a finish."""

    max_extrapolation_ms: int = 1500
    """Interpolation between time ticks never runs further than this past the last tick, so a
    stalled stream is never reported far beyond where it froze."""

    prefetch: bool = True
    """Prepare the next item while the current one plays."""

    history_size: int = 50
    """How many played items Previous can go back through."""

    def __post_init__(self) -> None:
        for name in (
            "open_timeout_s",
            "stall_timeout_s",
            "stream_deliver_timeout_s",
            "stream_request_lead_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.end_of_media_guard_ms < 0 or self.max_extrapolation_ms < 0:
            raise ValueError("guard and extrapolation limits must not be negative")
        if self.history_size < 0:
            raise ValueError("history_size must not be negative")
