"""DownchannelGate: whether events may go out on one connection generation.

CIC answers 412 to an event on a connection whose downchannel has not yet delivered Clova.Hello
or has already ended, and counts such refusals against the device. Each generation has its own
gate: the downchannel's reader opens it when *that* downchannel's Clova.Hello arrives (a Hello
from anywhere else opens nothing) and shuts it, for good, the moment that body ends, before the
session notices. The event sender looks at it right before every POST.
"""

from __future__ import annotations

import asyncio

from ..protocol import ProtocolError, parse_directive


def is_hello(raw: bytes) -> bool:
    """True when ``raw`` is a usable Clova.Hello (parsed as the router would parse it)."""
    if b"Hello" not in raw:
        return False
    try:
        header = parse_directive(raw).header
    except (ProtocolError, ValueError, RecursionError):
        return False  # not a Hello; the router logs it as an invalid directive
    return header.namespace == "Clova" and header.name == "Hello"


class DownchannelGate:
    """Open from this downchannel's Clova.Hello until its end; never reopened."""

    def __init__(self) -> None:
        self._hello = asyncio.Event()
        self._ended = asyncio.Event()
        self.ending = ""
        """Why the downchannel ended ('' while it has not)."""

    @property
    def open(self) -> bool:
        """Events may be POSTed on this generation's connection now."""
        return self._hello.is_set() and not self._ended.is_set()

    @property
    def hello_seen(self) -> bool:
        return self._hello.is_set()

    def hello(self) -> None:
        """This downchannel delivered Clova.Hello (no effect once it has ended)."""
        if not self._ended.is_set():
            self._hello.set()

    def end(self, why: str) -> None:
        """This downchannel ended (the first reason is kept)."""
        if not self._ended.is_set():
            self.ending = why
            self._ended.set()

    async def wait_hello(self) -> None:
        await self._hello.wait()
