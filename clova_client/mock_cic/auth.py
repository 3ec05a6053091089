"""Bearer tokens: which access token belongs to which device, and the OAuth-like refresh."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_TOKENS: Mapping[str, str] = {"test-token": "default"}
DEFAULT_EXPIRES_IN = 3600


def default_refresh_token(device: str) -> str:
    """The refresh token every device starts with unless refresh tokens are given."""
    return f"refresh-{device}"


@dataclass(frozen=True)
class Grant:
    device: str
    access_token: str
    refresh_token: str
    expires_in: int

    def to_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


class MockTokens:
    """Access and refresh tokens -> device ids. Never logs or returns a token in an error."""

    def __init__(
        self, tokens: Mapping[str, str], refresh_tokens: Mapping[str, str] | None = None
    ) -> None:
        self._initial_access = dict(tokens)
        self._initial_refresh = (
            dict(refresh_tokens)
            if refresh_tokens is not None
            else {default_refresh_token(d): d for d in set(tokens.values())}
        )
        self.revoke_on_refresh = False
        """When True, a refresh revokes the device's older access tokens."""
        self.expires_in = DEFAULT_EXPIRES_IN
        self._access: dict[str, str] = {}
        self._refresh: dict[str, str] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the configured tokens (issued tokens stay valid: a client may hold them)."""
        self._access.update(self._initial_access)
        self._refresh.update(self._initial_refresh)

    def initial_devices(self) -> set[str]:
        """The devices of the configured access tokens."""
        return set(self._initial_access.values())

    def device_for(self, authorization: str | None) -> str | None:
        """``Bearer <token>`` -> device id, or None when missing or unknown."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._access.get(token.strip())

    def refresh(self, refresh_token: str) -> Grant | None:
        """Issue a new access + refresh token for the refresh token's device (None: unknown)."""
        device = self._refresh.get(refresh_token)
        if device is None:
            return None
        if self.revoke_on_refresh:
            self.expire(device)
        access = f"access-{device}-{secrets.token_hex(8)}"
        new_refresh = f"refresh-{device}-{secrets.token_hex(8)}"
        self._access[access] = device
        self._refresh[new_refresh] = device
        return Grant(device, access, new_refresh, self.expires_in)

    def expire(self, device: str) -> int:
        """Make every access token of ``device`` answer 401; returns how many were revoked."""
        gone = [t for t, d in self._access.items() if d == device]
        for token in gone:
            del self._access[token]
        return len(gone)

    def refresh_token_for(self, device: str) -> str | None:
        """A refresh token currently accepted for ``device`` (the configured one first)."""
        for token, owner in self._initial_refresh.items():
            if owner == device and token in self._refresh:
                return token
        return next((t for t, d in self._refresh.items() if d == device), None)

    def add(self, access_token: str, device: str) -> None:
        self._access[access_token] = device
