"""``clova-client token set|show``: the token file, written right and described without secrets.

The file is JSON: ``{"access_token": "...", "refresh_token": "...", "expires_at": 1767225600}``
(``expires_at``: Unix seconds or ISO 8601; optional). A running daemon that waits for it
(first boot) connects within a second of ``token set``.
"""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from ..cic.auth import TokenFileError, Tokens, TokenStore, parse_token_file

MAX_INPUT_BYTES = 64 * 1024


def tokens_from_input(text: str, now: float | None = None) -> Tokens:
    """What ``token set`` reads on stdin: the token file's JSON (an OAuth token response with
    ``expires_in`` too), or the access token on the first line and the refresh token on the
    second. Raises TokenFileError naming what is wrong, never echoing a value."""
    stripped = text.strip()
    if not stripped:
        raise TokenFileError("no token on standard input")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TokenFileError(f"standard input: malformed JSON at line {exc.lineno}") from None
        if not isinstance(data, dict):
            raise TokenFileError("standard input: expected a JSON object")
        expires_in = data.pop("expires_in", None)
        if data.get("expires_at") is None and isinstance(expires_in, int | float):
            data["expires_at"] = (now if now is not None else time.time()) + float(expires_in)
        return parse_token_file(json.dumps(data), Path("<stdin>"))
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if len(lines) > 2 or any(any(c.isspace() for c in line) for line in lines):
        raise TokenFileError(
            "standard input: expected JSON, or the access token on line 1 and the refresh "
            "token on line 2"
        )
    return Tokens(lines[0], lines[1] if len(lines) == 2 else None)


def owner_for(path: Path) -> tuple[int, int] | None:
    """Root writes the file for the owner of its directory (the service user); others as
    themselves."""
    if os.geteuid() != 0:
        return None
    st = path.parent.stat()
    return st.st_uid, st.st_gid


def write_tokens(path: Path, tokens: Tokens) -> list[str]:
    """Write the file atomically (0600, the service user's); returns the lines to print."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = TokenStore(path, missing_ok=True)
    store.save(tokens, owner_for(path))
    return [f"token file {path} written (mode 0600)", *describe(store)]


def describe(store: TokenStore, now: float | None = None) -> list[str]:
    """The file's facts, never a token value."""
    tokens = store.tokens
    st = store.path.stat()
    lines = [
        f"  file: {store.path} (mode {stat.S_IMODE(st.st_mode):04o}, uid {st.st_uid})",
        "  access token: present",
        f"  refresh token: {'present' if tokens.refresh_token else 'absent (cannot be renewed)'}",
    ]
    if tokens.expires_at is None:
        lines.append("  expires: unknown (renewed when CIC refuses it)")
    else:
        left = tokens.expires_at - (now if now is not None else time.time())
        at = datetime.fromtimestamp(tokens.expires_at, UTC).isoformat(timespec="seconds")
        lines.append(f"  expires: {at} ({_left(left)})")
    return lines


def _left(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"
