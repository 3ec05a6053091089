"""Directive router: parse, apply the dialogRequestId rule, hand to the (namespace, name) handler.

Never raises out of ``dispatch``: a bad directive, an unknown one, or a failing handler is one
log line and an Outcome, and the next directive is handled as usual.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import structlog

from ..logging import PLAYER_LOG
from ..protocol import Directive, JsonObject, ProtocolError, parse_directive
from ..protocol.items import NO_ATTACHMENTS, item_token
from .dialog_queue import DialogQueue
from .dialogs import Dialogs, DialogVerdict

log = structlog.get_logger(__name__)

Attachments = Mapping[str, bytes]
Handler = Callable[[Directive[Any], Attachments], Awaitable[None]]


class Outcome(enum.Enum):
    HANDLED = "handled"
    UNKNOWN = "unknown"
    """No handler for (namespace, name): ignored."""
    STALE_DIALOG = "stale_dialog"
    """dialogRequestId of a dialog this speaker has since superseded: dropped."""
    INVALID = "invalid"
    """ProtocolError: not a usable directive."""
    FAILED = "failed"
    """The handler raised."""
    HELD = "held"
    """Its dialog is blocked (a Speak plays): handed on when the speech ends."""


class Router:
    """Maps (namespace, name) to an async handler ``(directive, attachments) -> None``."""

    def __init__(self, dialogs: Dialogs | None = None) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}
        self.dialogs = dialogs or Dialogs()
        """Which dialogRequestIds are stale (superseded voice dialogs)."""
        self.queue = DialogQueue()
        """What waits behind a dialog's blocking directive (a Speak)."""

    def register(self, namespace: str, name: str, handler: Handler) -> None:
        """Route (namespace, name) to ``handler``; a second registration replaces the first."""
        self._handlers[(namespace, name)] = handler

    async def dispatch(
        self, raw: bytes | str | JsonObject, attachments: Attachments = NO_ATTACHMENTS
    ) -> Outcome:
        try:
            directive = parse_directive(raw)
        except ProtocolError as exc:
            log.warning(
                "directive_invalid",
                message_id=exc.message_id or _lenient_message_id(raw),
                directive=exc.full_name,
                errors=[str(e) for e in exc.errors],
            )
            return Outcome.INVALID
        except (ValueError, RecursionError) as exc:  # a parser gap must not end the dispatcher
            log.warning(
                "directive_invalid",
                message_id=None,
                directive=None,
                errors=[f"unreadable: {type(exc).__name__}: {str(exc)[:200]}"],
            )
            return Outcome.INVALID
        header = directive.header
        with structlog.contextvars.bound_contextvars(
            message_id=header.message_id,
            namespace=header.namespace,
            name=header.name,
        ):
            log.info(
                "directive_received",
                directive=directive.full_name,
                message_id=header.message_id,
                token=item_token(directive.payload.model_dump(by_alias=True)),
                dialog_request_id=header.dialog_request_id,
                player=PLAYER_LOG.player,
            )
            if self.dialogs.verdict(header.dialog_request_id) is DialogVerdict.SUPERSEDED:
                log.info(
                    "directive_dropped",
                    directive=directive.full_name,
                    message_id=header.message_id,
                    reason="its dialog was superseded by a newer one on this speaker",
                    dialog_request_id=header.dialog_request_id,
                    current_dialog_request_id=self.dialogs.current,
                )
                return Outcome.STALE_DIALOG
            if self.queue.blocked(header.dialog_request_id):
                waiting = self.queue.hold(directive, attachments)
                log.info(
                    "directive_held",
                    directive=directive.full_name,
                    message_id=header.message_id,
                    reason="its dialog's speech plays first",
                    dialog_request_id=header.dialog_request_id,
                    waiting=waiting,
                )
                return Outcome.HELD
            return await self._handle(directive, attachments)

    async def release(self, dialog_request_id: str | None) -> None:
        """The dialog's blocker ended: hand on what waited, in order, up to the next
        directive that blocks. Never raises."""
        if dialog_request_id is None:
            return
        if self.dialogs.verdict(dialog_request_id) is DialogVerdict.SUPERSEDED:
            self.drop_dialog(dialog_request_id, "its dialog was superseded while it waited")
            return
        while (held := self.queue.next(dialog_request_id)) is not None:
            header = held.directive.header
            with structlog.contextvars.bound_contextvars(
                message_id=header.message_id, namespace=header.namespace, name=header.name
            ):
                log.info(
                    "directive_released",
                    directive=held.directive.full_name,
                    message_id=header.message_id,
                    dialog_request_id=dialog_request_id,
                )
                await self._handle(held.directive, held.attachments)
            if self.queue.handled(dialog_request_id):
                return

    def drop_dialog(self, dialog_request_id: str | None, reason: str) -> int:
        """Drop what waits in a dialog (superseded, its speech stopped); one line each."""
        if dialog_request_id is None:
            return 0
        dropped = self.queue.drop(dialog_request_id)
        for held in dropped:
            log.info(
                "directive_dropped",
                directive=held.directive.full_name,
                message_id=held.directive.header.message_id,
                token=item_token(held.directive.payload.model_dump(by_alias=True)),
                reason=reason,
                dialog_request_id=dialog_request_id,
            )
        return len(dropped)

    async def _handle(self, directive: Directive[Any], attachments: Attachments) -> Outcome:
        header = directive.header
        handler = self._handlers.get((header.namespace, header.name))
        if handler is None:
            log.info(
                "directive_ignored",
                directive=directive.full_name,
                message_id=header.message_id,
                reason="no handler",
                known=directive.known,
            )
            return Outcome.UNKNOWN
        try:
            await handler(directive, attachments)
        except Exception:
            log.exception(
                "directive_handler_failed",
                directive=directive.full_name,
                message_id=header.message_id,
            )
            return Outcome.FAILED
        return Outcome.HANDLED


P = TypeVar("P")


def expect_payload(directive: Directive[Any], model: type[P]) -> P:
    """The directive's payload as ``model``; TypeError (a handler failure, logged by the
    router) when the registry parsed it as something else. Unlike ``assert``, kept under -O."""
    payload = directive.payload
    if not isinstance(payload, model):
        raise TypeError(
            f"{directive.full_name}: payload is {type(payload).__name__}, not {model.__name__}"
        )
    return payload


def _lenient_message_id(raw: bytes | str | JsonObject) -> str | None:
    """Best-effort messageId of a message that failed to parse (for the log line only)."""
    try:
        data = raw if isinstance(raw, dict) else json.loads(raw)
        body = data.get("directive", data)
        value = body["header"]["messageId"]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) else None
