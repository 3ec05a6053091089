"""The CIC User-Agent: ``Maker/Product/1.2.3 (OS 1.0;Hardware;key=value)``, checked at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_OS_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_HARDWARE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ +-]*[A-Za-z0-9._+-]|[A-Za-z0-9]")
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_VALUE = re.compile(r"[A-Za-z0-9._+-]+")


class UserAgentError(ValueError):
    """A configured User-Agent part breaks the grammar; the message names the part."""


@dataclass(frozen=True)
class UserAgent:
    """The parts of the User-Agent; ``str()`` renders the header value.

    maker, product: letters, digits, ``._-``; version: ``MAJOR.MINOR.PATCH``; os_name,
    os_version: letters, digits, ``._+-``; hardware: the same plus inner spaces; extras:
    ``key=value`` pairs (keys ``[A-Za-z0-9_-]``, values as os_version), in the given order.
    """

    maker: str
    product: str
    version: str
    os_name: str
    os_version: str
    hardware: str
    extras: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extras", dict(self.extras))
        _check("maker", self.maker, _NAME, "letters, digits, '.', '_', '-'")
        _check("product", self.product, _NAME, "letters, digits, '.', '_', '-'")
        _check("version", self.version, _VERSION, "MAJOR.MINOR.PATCH, e.g. 1.2.3")
        _check("os_name", self.os_name, _OS_VERSION, "letters, digits, '._+-' (no space)")
        _check("os_version", self.os_version, _OS_VERSION, "letters, digits, '.', '_', '+', '-'")
        _check("hardware", self.hardware, _HARDWARE, "letters, digits, '._+-' and inner spaces")
        for key, value in self.extras.items():
            _check("extras key", key, _KEY, "letters, digits, '_', '-'")
            _check(f"extras[{key}]", value, _VALUE, "letters, digits, '.', '_', '+', '-'")

    def __str__(self) -> str:
        comment = [f"{self.os_name} {self.os_version}", self.hardware]
        comment += [f"{k}={v}" for k, v in self.extras.items()]
        return f"{self.maker}/{self.product}/{self.version} ({';'.join(comment)})"


def _check(part: str, value: object, pattern: re.Pattern[str], allowed: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UserAgentError(f"User-Agent part {part} is invalid: {value!r} (allowed: {allowed})")


_HEADER = re.compile(r"(?P<maker>[^/]+)/(?P<product>[^/]+)/(?P<version>\S+) \((?P<comment>.*)\)")


def parse_user_agent(header: str) -> UserAgent:
    """Parse and validate a User-Agent string (e.g. one given whole in the config)."""
    m = _HEADER.fullmatch(header)
    if not m:
        raise UserAgentError(
            f"User-Agent {header!r} does not match 'Maker/Product/1.2.3 (OS 1.0;Hardware;k=v)'"
        )
    fields = m["comment"].split(";")
    if len(fields) < 2:
        raise UserAgentError(f"User-Agent comment {m['comment']!r} needs 'OS version;Hardware'")
    os_name, _, os_version = fields[0].partition(" ")
    extras: dict[str, str] = {}
    for item in fields[2:]:
        key, eq, value = item.partition("=")
        if not eq:
            raise UserAgentError(f"User-Agent part extras item {item!r} is not key=value")
        extras[key] = value
    return UserAgent(m["maker"], m["product"], m["version"], os_name, os_version, fields[1], extras)
