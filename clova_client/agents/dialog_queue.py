"""DialogQueue: a blocking directive (Speak) holds back the directives after it in its dialog.

After AVS's DirectiveSequencer: directives of one dialog are handled in order; while a
directive of dialog D *blocks* (its speech plays), every later directive of D waits here, in
arrival order, and is handed on when the blocker ends (finished, failed or stopped), up to the
next directive that blocks. Directives without a dialogRequestId never wait. A superseded
dialog's waiting directives are dropped. Pure bookkeeping: the router dispatches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol import Directive


@dataclass(frozen=True, slots=True)
class Held:
    directive: Directive[Any]
    attachments: Mapping[str, bytes]


class DialogQueue:
    def __init__(self) -> None:
        self._held: dict[str, deque[Held]] = {}
        """dialogRequestId -> what waits behind its blocker (present: the dialog is blocked)."""
        self._blocked_again: set[str] = set()

    def blocked(self, dialog_request_id: str | None) -> bool:
        return dialog_request_id is not None and dialog_request_id in self._held

    def block(self, dialog_request_id: str | None) -> None:
        """The directive being handled blocks its dialog until ``release``."""
        if dialog_request_id is None:
            return
        if dialog_request_id in self._held:
            self._blocked_again.add(dialog_request_id)
        else:
            self._held[dialog_request_id] = deque()

    def hold(self, directive: Directive[Any], attachments: Mapping[str, bytes]) -> int:
        """Keep a directive of a blocked dialog; returns how many wait now."""
        waiting = self._held[directive.header.dialog_request_id or ""]
        waiting.append(Held(directive, attachments))
        return len(waiting)

    def next(self, dialog_request_id: str) -> Held | None:
        """The next directive to hand on after the blocker ended (None: the dialog is free).
        The dialog stays blocked while it is handled, so later arrivals keep their place."""
        waiting = self._held.get(dialog_request_id)
        if waiting is None:
            return None
        if not waiting:
            del self._held[dialog_request_id]
            return None
        return waiting.popleft()

    def handled(self, dialog_request_id: str) -> bool:
        """After handing one on: True when it blocked again (stop handing on)."""
        if dialog_request_id in self._blocked_again:
            self._blocked_again.discard(dialog_request_id)
            return True
        return False

    def drop(self, dialog_request_id: str) -> list[Held]:
        """Forget a dialog (superseded, or its speech stopped): what waited is returned."""
        self._blocked_again.discard(dialog_request_id)
        return list(self._held.pop(dialog_request_id, ()))

    def waiting(self) -> dict[str, int]:
        """dialogRequestId -> directives waiting (for ``status``)."""
        return {dialog: len(held) for dialog, held in self._held.items()}
