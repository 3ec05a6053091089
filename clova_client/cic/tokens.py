"""Token refresh coordination: one refresh at a time, early refresh before expiry."""

from __future__ import annotations

import asyncio

import structlog

from .auth import AuthFailed, RefreshConfig, RefreshUnavailable, TokenStore, refresh_tokens
from .settings import CicSettings

log = structlog.get_logger(__name__)


class TokenKeeper:
    """Hands out the current access token and refreshes it when CIC or the clock says so."""

    def __init__(self, store: TokenStore, settings: CicSettings) -> None:
        self._store = store
        self._config = RefreshConfig(settings.auth_url, settings.client_id, settings.client_secret)
        self._margin_s = settings.refresh_margin_s
        self._lock = asyncio.Lock()
        self._early_not_before = 0.0  # wall time: after a failed early refresh

    def access_token(self) -> str:
        return self._store.access_token

    async def refresh(self, used_token: str) -> None:
        """Refresh, unless someone already replaced ``used_token`` (several 401s at once).

        Raises AuthFailed (cannot work: no refresh token or URL, grant refused) or
        RefreshUnavailable (auth server down: retry later).
        """
        async with self._lock:
            if self._store.access_token != used_token:
                return
            log.info("cic.token_refresh", file=str(self._store.path))
            await refresh_tokens(self._store, self._config)

    async def refresh_if_expiring(self) -> None:
        """Refresh ``refresh_margin_s`` before expiry; a failure only matters once expired."""
        tokens, now = self._store.tokens, self._store.now()
        if now < self._early_not_before or not tokens.expires_within(self._margin_s, now):
            return
        try:
            await self.refresh(tokens.access_token)
        except (AuthFailed, RefreshUnavailable) as exc:
            if tokens.expires_within(0.0, now):
                raise
            self._early_not_before = now + self._margin_s / 2
            log.warning("cic.token_refresh_deferred", reason=str(exc))
