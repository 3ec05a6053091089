"""The access token: a private file on disk, refreshed with ``grant_type=refresh_token``.

No token value ever appears in an exception message or a log line: errors name the file, its
mode, the HTTP status and the OAuth ``error`` code only.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import structlog

log = structlog.get_logger(__name__)

_PRIVATE_MASK = 0o066  # read or write for group or others


class TokenFileError(Exception):
    """The token file is missing, unreadable, malformed or not private to its owner."""


class AuthFailed(Exception):
    """The token cannot be refreshed: no refresh token, no auth URL, or the grant was refused."""


class RefreshUnavailable(Exception):
    """The auth server could not be reached or failed (5xx, 429, network); retry later."""


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    """Unix time (seconds) at which the access token expires; None when unknown."""

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now <= seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
        }


def _mode_text(mode: int) -> str:
    return f"0{stat.S_IMODE(mode):o}"


def parse_token_file(text: str, path: Path) -> Tokens:
    """JSON ``{"access_token", "refresh_token", "expires_at"}`` or just the access token."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        if not stripped or any(c.isspace() for c in stripped):
            raise TokenFileError(
                f"token file {path}: expected JSON or a single access token on one line"
            )
        return Tokens(stripped)
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise TokenFileError(f"token file {path}: malformed JSON at line {exc.lineno}") from None
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not isinstance(access, str) or not access:
        raise TokenFileError(f"token file {path}: access_token missing or not a string")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise TokenFileError(f"token file {path}: refresh_token is not a non-empty string")
    return Tokens(access, refresh, _expires_at(data.get("expires_at"), path))


def _expires_at(value: object, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value).timestamp()
    raise TokenFileError(f"token file {path}: expires_at must be Unix seconds or ISO 8601")


class TokenStore:
    """Owns the token file. Construction reads and checks it, so a bad file stops start-up;
    with ``missing_ok`` a file that does not exist yet is a normal state (first boot): the
    store is empty until ``reload`` finds one."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wall: Callable[[], float] = time.time,
        missing_ok: bool = False,
    ):
        self.path = Path(path)
        self._wall = wall
        self._tokens: Tokens | None = None
        if not (missing_ok and not self.path.exists()):
            self._tokens = self.load()

    @property
    def present(self) -> bool:
        """True once the store holds tokens."""
        return self._tokens is not None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            raise TokenFileError(f"token file {self.path} does not exist")
        return self._tokens

    @tokens.setter
    def tokens(self, value: Tokens) -> None:
        self._tokens = value

    @property
    def access_token(self) -> str:
        return self.tokens.access_token

    def now(self) -> float:
        return self._wall()

    def load(self) -> Tokens:
        """Read the file again; refuse it when group or others may read or write it."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise TokenFileError(f"token file {self.path} does not exist") from None
        except OSError as exc:
            raise TokenFileError(
                f"token file {self.path} cannot be opened: {exc.strerror}"
            ) from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise TokenFileError(f"token file {self.path} is not a regular file")
            if st.st_mode & _PRIVATE_MASK:
                raise TokenFileError(
                    f"token file {self.path} has mode {_mode_text(st.st_mode)}: it must not be "
                    f"readable or writable by group or others (chmod 600 {self.path})"
                )
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenFileError(f"token file {self.path} is not UTF-8 text") from None
        return parse_token_file(text, self.path)

    def reload(self) -> bool:
        """Re-read the file (someone may have provisioned new tokens); True if they changed."""
        fresh = self.load()
        changed = fresh != self._tokens
        self._tokens = fresh
        return changed

    def save(self, tokens: Tokens, owner: tuple[int, int] | None = None) -> None:
        """Replace the file atomically: temp file in the same dir, fsync, 0600 (and ``owner``
        uid/gid, if given), rename."""
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            if owner is not None:
                os.fchown(fd, *owner)
            with os.fdopen(fd, "wb") as f:
                f.write(json.dumps(tokens.to_json()).encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._tokens = tokens


@dataclass(frozen=True)
class RefreshConfig:
    auth_url: str | None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    timeout_s: float = 15.0


async def refresh_tokens(store: TokenStore, config: RefreshConfig) -> Tokens:
    """Exchange the refresh token for new tokens and store them.

    Raises AuthFailed when refreshing cannot work (no refresh token or auth URL, 400/401/403),
    RefreshUnavailable for a failure worth retrying later.
    """
    old = store.tokens
    if old.refresh_token is None:
        raise AuthFailed(f"token file {store.path} holds no refresh_token; cannot refresh")
    if config.auth_url is None:
        raise AuthFailed("no auth_url configured; cannot refresh the access token")
    form = {"grant_type": "refresh_token", "refresh_token": old.refresh_token}
    if config.client_id:
        form["client_id"] = config.client_id
    if config.client_secret:
        form["client_secret"] = config.client_secret
    try:
        async with httpx.AsyncClient(timeout=config.timeout_s) as http:
            response = await http.post(config.auth_url, data=form)
    except httpx.HTTPError as exc:
        raise RefreshUnavailable(f"auth server unreachable: {type(exc).__name__}") from None
    status = response.status_code
    if status in (400, 401, 403):
        raise AuthFailed(f"auth server refused the refresh: HTTP {status} {_oauth_error(response)}")
    if status != 200:
        raise RefreshUnavailable(f"auth server answered HTTP {status} {_oauth_error(response)}")
    try:
        body = response.json()
        access = body["access_token"]
        if not isinstance(access, str) or not access:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise RefreshUnavailable("auth server answered 200 without an access_token") from None
    refresh = body.get("refresh_token") or old.refresh_token
    expires_in = body.get("expires_in")
    expires_at = store.now() + float(expires_in) if isinstance(expires_in, int | float) else None
    tokens = Tokens(access, refresh if isinstance(refresh, str) else old.refresh_token, expires_at)
    store.save(tokens)
    log.info("cic.token_refreshed", expires_in=expires_in, file=str(store.path))
    return tokens


def _oauth_error(response: httpx.Response) -> str:
    """The OAuth ``error`` code of a failure body (never the body itself: it may echo secrets)."""
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f"({code})" if isinstance(code, str) and code.isascii() and len(code) < 64 else ""
