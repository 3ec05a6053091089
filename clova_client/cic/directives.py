"""From multipart parts to (directive JSON, attachments), in arrival order. Pure.

A directive whose payload refers to ``cid:<id>`` is held until the part with that Content-ID
has arrived (CIC sends a Speak directive before its audio part), until ``MAX_HOLD_PARTS`` more
parts have come, or until the body ends; the directives after it wait behind it so the order
never changes (and a missing attachment cannot stall a never-ending downchannel). Any other
directive is released the moment its part is complete.

Each directive gets the attachments it refers to. An attachment nobody has referred to yet is
kept (it may precede its directive), but only the newest ``MAX_UNCLAIMED`` of them: a
never-ending downchannel must not grow without bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from ..protocol.multipart import Part

_CID_REF = re.compile(rb'"cid:([^"\\]+)"')

MAX_UNCLAIMED = 16
MAX_HOLD_PARTS = 8
NO_ATTACHMENTS: Mapping[str, bytes] = MappingProxyType({})

Ready = tuple[bytes, Mapping[str, bytes]]
"""A directive's raw JSON and the attachments it refers to, by Content-ID."""


def is_attachment(part: Part) -> bool:
    """Binary parts (and anything with a Content-ID); JSON parts are directives."""
    if part.content_id is not None:
        return True
    ctype = (part.content_type or "").lower()
    return bool(ctype) and "json" not in ctype and not part.body.lstrip().startswith(b"{")


class DirectiveAssembler:
    """Feed the parts of one body (a downchannel or an event response) in order."""

    def __init__(self) -> None:
        self._attachments: dict[str, bytes] = {}
        self._held: list[tuple[bytes, frozenset[str], int]] = []
        self._parts = 0

    def add(self, part: Part) -> list[Ready]:
        """The directives ready to dispatch after this part."""
        self._parts += 1
        if is_attachment(part):
            if part.content_id is not None:
                self._attachments[part.content_id] = part.body
            ready = self._release(final=False)
            while len(self._attachments) > MAX_UNCLAIMED:
                del self._attachments[next(iter(self._attachments))]
            return ready
        refs = frozenset(m.decode("utf-8", "replace") for m in _CID_REF.findall(part.body))
        self._held.append((part.body, refs, self._parts))
        return self._release(final=False)

    def finish(self) -> list[Ready]:
        """The body ended: release every held directive with whatever arrived."""
        return self._release(final=True)

    def _release(self, *, final: bool) -> list[Ready]:
        ready: list[Ready] = []
        while self._held:
            body, refs, seen_at = self._held[0]
            waited_enough = self._parts - seen_at >= MAX_HOLD_PARTS
            if not final and not waited_enough and not refs <= self._attachments.keys():
                break
            self._held.pop(0)
            if not refs:
                ready.append((body, NO_ATTACHMENTS))
                continue
            claimed = {c: self._attachments.pop(c) for c in refs if c in self._attachments}
            ready.append((body, MappingProxyType(claimed)))
        return ready
