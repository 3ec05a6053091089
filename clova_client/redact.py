"""Keep secrets out of logs: URL query strings, bearer tokens, known token values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)
# `Authorization: Basic xyz`, `"authorization": "xyz"`, `access_token=xyz`, `"password": "xyz"`.
_KEYED = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\b(?:access|refresh|id)_token|\bclient_secret|\bpassword)"
    r"([\"']?\s*[:=]\s*[\"']?)(?!bearer\s)(?:(?:basic|digest)\s+)?[^\s\"'&,;}]+"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")

# Mapping keys whose values are auth secrets. The protocol's item `token` (e.g. TR-NM-123) is not
# one: technicians need it, so a bare `token` key stays visible.
_SECRET_KEY_PARTS = (
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "authtoken",
    "password",
    "passwd",
    "secret",
    "authorization",
    "apikey",
    "cookie",
    "credential",
)
_NOT_SECRET_SUFFIXES = ("file", "path", "dir", "type", "url")


def redact_url(url: str) -> str:
    """Drop the query string, fragment and user info of a URL: ``https://h/p?sig=..`` -> ``https://h/p?…``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparsable url>"
    netloc = parts.hostname or ""
    if port:
        netloc = f"{netloc}:{port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


_KEYED_WORDS = ("authorization", "_token", "client_secret", "password")
"""One of these is in every text ``_KEYED`` matches (ASCII text, lower-cased)."""


def _nothing_to_find(text: str) -> bool:
    """No pattern below can match: ASCII text (``(?i)`` also folds a few non-ASCII letters to
    ASCII ones) without ``://``, ``eyJ``, ``bearer`` or a keyed word. Most log values (ids,
    tokens, states, names) are such: they skip the four regular expressions."""
    if not text.isascii() or "://" in text or "eyJ" in text:
        return False
    lowered = text.lower()
    return "bearer" not in lowered and not any(word in lowered for word in _KEYED_WORDS)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Redact every URL, bearer token, JWT, keyed credential and listed secret inside free text."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    if _nothing_to_find(text):
        return text
    text = _BEARER.sub(r"\1" + REDACTED, text)
    text = _KEYED.sub(r"\1\2" + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def is_secret_key(key: str) -> bool:
    """True for names like ``access_token``, ``Authorization``, ``client_secret``, ``password``."""
    name = key.lower().replace("_", "").replace("-", "")
    if name.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(part in name for part in _SECRET_KEY_PARTS)


def redact_value(value: object, secrets: tuple[str, ...] = ()) -> object:
    """Redact a structure: strings as text, secret-named mapping keys whole, other objects as str.

    Numbers, booleans and None pass unchanged; any other object is rendered with ``str`` first,
    so no ``repr`` can carry a secret past this point.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            k: REDACTED
            if isinstance(k, str) and is_secret_key(k) and v not in (None, "")
            else redact_value(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, secrets) for v in value]
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"), secrets)
    return redact_text(str(value), secrets)
