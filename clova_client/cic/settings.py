"""Configuration of the CIC connection: one frozen dataclass, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .backoff import BackoffPolicy
from .user_agent import UserAgent


@dataclass(frozen=True)
class CicSettings:
    """Everything the CIC client needs besides the token store, outbox and router.

    ``base_url``: ``https://`` negotiates HTTP/2 by ALPN; ``http://`` speaks HTTP/1.1 unless
    ``http2_prior_knowledge`` is set, then h2c with prior knowledge. ``auth_url`` is the OAuth
    token endpoint (``grant_type=refresh_token``); without it a 401 cannot be cured.
    """

    base_url: str
    user_agent: UserAgent
    auth_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    http2_prior_knowledge: bool = False
    ca_file: Path | None = None
    """PEM bundle of the CA(s) to trust for ``https://`` instead of the system's (a staging
    server, the mock); None: the system's trust store."""
    ping_interval_s: float = 60.0
    ping_timeout_s: float = 10.0
    hello_timeout_s: float = 10.0
    stable_after_s: float = 30.0
    connect_timeout_s: float = 10.0
    event_timeout_s: float = 30.0
    refresh_margin_s: float = 60.0
    button_ttl_s: float = 10.0
    """A button press not delivered within this long is dropped: the cloud must not act on a
    stale press (pressed while offline)."""
    token_poll_s: float = 1.0
    """How often a missing token file is looked for (first boot)."""
    event_drain_s: float = 2.0
    """When the connection ends, an event whose POST is under way gets this long to be answered
    (so an event CIC accepted is never sent again)."""
    reopen_at_once_after_s: float = 1.0
    """A downchannel that ends cleanly (end of stream, GOAWAY) after this long up is reopened
    at once; one that ends sooner goes through the backoff, so a closing loop cannot spin."""
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)

    def __post_init__(self) -> None:
        _check_url("base_url", self.base_url)
        if self.auth_url is not None:
            _check_url("auth_url", self.auth_url)
        for name in (
            "ping_interval_s",
            "ping_timeout_s",
            "hello_timeout_s",
            "connect_timeout_s",
            "event_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"CIC setting {name} must be > 0, got {getattr(self, name)!r}")
        for name in (
            "stable_after_s",
            "refresh_margin_s",
            "event_drain_s",
            "reopen_at_once_after_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"CIC setting {name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def root(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def http2(self) -> bool:
        """True when every request is guaranteed to travel over one HTTP/2 connection."""
        return self.http2_prior_knowledge or urlsplit(self.base_url).scheme == "https"


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"CIC setting {name} must be an http:// or https:// URL with a host")
    if parts.query or parts.username or parts.password:
        raise ValueError(f"CIC setting {name} must carry no query string or credentials")
