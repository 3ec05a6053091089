"""Keep secrets out of logs: URL query strings, bearer tokens, known token values."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Drop the query string, fragment and user info of a URL: ``https://h/p?sig=..`` -> ``https://h/p?…``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Redact every URL, bearer token and listed secret inside free text."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _BEARER.sub(r"\1<redacted>", text)
    return _URL.sub(lambda m: redact_url(m.group(0)), text)
