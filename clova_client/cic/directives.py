"""From multipart parts to (directive JSON, attachments), in arrival order. Pure.

A directive with a ``url`` field that is ``cid:<id>`` (a Play or StreamDeliver whose audio comes
as a part of the same body) is held until the part with that Content-ID has arrived, and at most
``ATTACHMENT_WAIT_S`` seconds (by the clock time the caller passes in), ``MAX_HOLD_PARTS`` more
parts, or until the body ends. Then it is released with whatever arrived: a missing attachment
fails that directive only (its handler finds no data for the url) and is reported to
``on_missing``. The directives after a held one wait behind it, so the order never changes.
"cid:" anywhere else (a title, a lyric, an unknown field) holds nothing. Any other directive is
released the moment its part is complete.

An attachment nobody has referred to yet is kept (it may precede its directive), but only the
newest ``MAX_UNCLAIMED`` of them: a never-ending downchannel must not grow without bound.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..protocol.errors import printable
from ..protocol.jsontext import MAX_DEPTH, MAX_MESSAGE_BYTES
from ..protocol.multipart import Part

MAX_UNCLAIMED = 16
MAX_HOLD_PARTS = 8
ATTACHMENT_WAIT_S = 5.0
"""How long a directive waits for its ``cid:`` attachment (CIC sends it right behind it)."""
NO_ATTACHMENTS: Mapping[str, bytes] = MappingProxyType({})

Ready = tuple[bytes, Mapping[str, bytes]]
"""A directive's raw JSON and the attachments it refers to, by Content-ID."""

MissingHandler = Callable[[bytes, list[str]], None]
"""Told of a directive released without some of its attachments: its raw JSON and the
Content-IDs that did not come (sorted, printable)."""


def is_attachment(part: Part) -> bool:
    """Binary parts (and anything with a Content-ID); JSON parts are directives."""
    if part.content_id is not None:
        return True
    ctype = (part.content_type or "").lower()
    return bool(ctype) and "json" not in ctype and not part.body.lstrip().startswith(b"{")


def attachment_refs(body: bytes) -> frozenset[str]:
    """The Content-IDs a directive's ``url`` fields name (``"url": "cid:<id>"``, any depth).

    A body that is not JSON refers to nothing: the router reports it invalid.
    """
    if b"cid:" not in body or len(body) > MAX_MESSAGE_BYTES:
        return frozenset()
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return frozenset()
    refs: set[str] = set()
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, dict):
            url = node.get("url")
            if isinstance(url, str) and url.startswith("cid:"):
                refs.add(url[len("cid:") :].strip("<>"))
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return frozenset(refs)


@dataclass(frozen=True)
class _Held:
    body: bytes
    refs: frozenset[str]
    part_no: int
    deadline: float


class DirectiveAssembler:
    """Feed the parts of one body (a downchannel or an event response) in order."""

    def __init__(
        self, on_missing: MissingHandler | None = None, wait_s: float = ATTACHMENT_WAIT_S
    ) -> None:
        self._attachments: dict[str, bytes] = {}
        self._held: deque[_Held] = deque()
        self._parts = 0
        self._on_missing = on_missing
        self._wait_s = wait_s

    @property
    def deadline(self) -> float | None:
        """When the directive held first stops waiting for its attachments; None: none held
        (or it was added without a time)."""
        if not self._held or math.isinf(self._held[0].deadline):
            return None
        return self._held[0].deadline

    def add(self, part: Part, now: float | None = None) -> list[Ready]:
        """The directives ready to dispatch after this part arrived at clock time ``now``
        (None: no time bound for a directive this part brings, only the part and end bounds)."""
        self._parts += 1
        if is_attachment(part):
            if part.content_id is not None:
                self._attachments[part.content_id.strip("<>")] = part.body
            ready = self._release(now)
            while len(self._attachments) > MAX_UNCLAIMED:
                del self._attachments[next(iter(self._attachments))]
            return ready
        refs = attachment_refs(part.body)
        deadline = math.inf if now is None else now + self._wait_s
        self._held.append(_Held(part.body, refs, self._parts, deadline))
        return self._release(now)

    def expire(self, now: float) -> list[Ready]:
        """The directives released because their wait ran out by clock time ``now``."""
        return self._release(now)

    def finish(self) -> list[Ready]:
        """The body ended: release every held directive with whatever arrived."""
        return self._release(None, final=True)

    def _release(self, now: float | None, *, final: bool = False) -> list[Ready]:
        ready: list[Ready] = []
        while self._held:
            held = self._held[0]
            done = final or held.refs <= self._attachments.keys()
            done = done or self._parts - held.part_no >= MAX_HOLD_PARTS
            if not done and (now is None or now < held.deadline):
                break
            self._held.popleft()
            if not held.refs:
                ready.append((held.body, NO_ATTACHMENTS))
                continue
            claimed = {c: self._attachments.pop(c) for c in held.refs if c in self._attachments}
            missing = held.refs - claimed.keys()
            if missing and self._on_missing is not None:
                self._on_missing(held.body, sorted(printable(c, 80) for c in missing))
            ready.append((held.body, MappingProxyType(claimed)))
        return ready
