"""EventOut: the one way out for an event.

``send`` builds the event (``make_event``) with the registry's context objects, logs it as one
line (``event``: event_name, message_id, token, dialog_request_id; the player's state and, for
an event without a token of its own, the player's token, come from ``PLAYER_LOG``) and queues
it behind every event sent before it. It never blocks: callers in any task keep their order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypedDict, Unpack

import structlog
from pydantic import BaseModel

from ..logging import PLAYER_LOG
from ..protocol import Event, JsonObject, make_event
from ..protocol.items import item_token
from .context import ContextRegistry

log = structlog.get_logger(__name__)

Queue = Callable[[Event], None]


class EventOptions(TypedDict, total=False):
    """``build``'s keyword options, which ``send`` passes on."""

    dialog_request_id: str | None
    version: str | None
    context: Mapping[str, JsonObject] | None
    log_fields: Mapping[str, object] | None


class EventOut:
    """``queue``: the event sender's ``submit`` (a test's list's ``append``)."""

    def __init__(self, queue: Queue, context: ContextRegistry | None = None) -> None:
        self._queue = queue
        self.context = context if context is not None else ContextRegistry()

    def send(
        self,
        namespace: str,
        name: str,
        payload: BaseModel | JsonObject | None = None,
        **options: Unpack[EventOptions],
    ) -> Event:
        """Build, log and queue one event (``build``'s options)."""
        event = self.build(namespace, name, payload, **options)
        self._queue(event)
        return event

    def build(
        self,
        namespace: str,
        name: str,
        payload: BaseModel | JsonObject | None = None,
        *,
        dialog_request_id: str | None = None,
        version: str | None = None,
        context: Mapping[str, JsonObject] | None = None,
        log_fields: Mapping[str, object] | None = None,
    ) -> Event:
        """Build and log one event without queueing it (Recognize, whose audio streams on its
        own request; ``send`` for everything else). ``context`` overrides registry objects by
        name, ``log_fields`` add to its line (the AudioPlayer reporter's state and offset)."""
        event = make_event(
            namespace,
            name,
            payload,
            self.context.objects(context),
            dialog_request_id=dialog_request_id,
            version=version,
        )
        fields: dict[str, object] = {
            "event_name": event.full_name,
            "message_id": event.message_id,
            "token": item_token(event.payload),
            "dialog_request_id": dialog_request_id,
            **(log_fields or {}),
        }
        if fields.get("player") is None:
            fields["player"] = PLAYER_LOG.player
        if fields["token"] is None:
            fields["token"] = PLAYER_LOG.token
        log.info("event", **fields)
        return event
