"""Which dialogRequestIds are stale: the speaker's own view of its voice dialogs.

A dialogRequestId names the user request (a voice dialog) a directive answers. The cloud mints
ids of its own, so an id this speaker never saw is *not* a reason to drop a directive. A
directive is stale only when its id belongs to a dialog that has since been superseded on this
speaker: the voice component announced a newer dialog (barge-in: a wake word during an answer).
Ids the daemon mints for its own requests (StreamRequested) are remembered as its own and
never go stale: their answers concern the player's queue, not what the user said.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from enum import StrEnum

REMEMBERED = 256
"""Superseded dialog ids kept; older ones are forgotten (and then handled as unknown)."""
MAX_ID_LENGTH = 200


class DialogVerdict(StrEnum):
    NONE = "none"
    """The directive carries no dialogRequestId: handled at once."""
    CURRENT = "current"
    """The dialog the voice component announced last."""
    OWN = "own"
    """An id this daemon minted for one of its own events."""
    CLOUD = "cloud"
    """An id this speaker never saw: minted by the cloud, handled."""
    SUPERSEDED = "superseded"
    """A dialog of this speaker that a newer one replaced: the directive is dropped."""


class Dialogs:
    """The current voice dialog, the superseded ones, and the ids minted here."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._remembered = remembered
        self.current: str | None = None
        """The dialogRequestId of the newest dialog the voice component announced."""
        self._superseded: OrderedDict[str, None] = OrderedDict()
        self._own: OrderedDict[str, None] = OrderedDict()

    def begin(self, dialog_request_id: str) -> str | None:
        """A new voice dialog started (announced locally); returns the one it superseded."""
        check_dialog_request_id(dialog_request_id)
        previous = self.current
        if previous == dialog_request_id:
            return None
        if previous is not None:
            _remember(self._superseded, previous, self._remembered)
        self._superseded.pop(dialog_request_id, None)
        self.current = dialog_request_id
        return previous

    def mint(self) -> str:
        """A new id for an event of this daemon's own (StreamRequested)."""
        minted = str(uuid.uuid4())
        _remember(self._own, minted, self._remembered)
        return minted

    def verdict(self, dialog_request_id: str | None) -> DialogVerdict:
        if dialog_request_id is None:
            return DialogVerdict.NONE
        if dialog_request_id == self.current:
            return DialogVerdict.CURRENT
        if dialog_request_id in self._superseded:
            return DialogVerdict.SUPERSEDED
        if dialog_request_id in self._own:
            return DialogVerdict.OWN
        return DialogVerdict.CLOUD


def check_dialog_request_id(value: object) -> str:
    """A usable dialogRequestId (non-empty printable text, bounded); ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a dialogRequestId must be a non-empty string")
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise ValueError(f"a dialogRequestId must be printable and at most {MAX_ID_LENGTH} chars")
    return value


def _remember(ids: OrderedDict[str, None], value: str, limit: int) -> None:
    ids[value] = None
    ids.move_to_end(value)
    while len(ids) > limit:
        ids.popitem(last=False)
