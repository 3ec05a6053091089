"""Directive and error bodies the mock sends."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

log = structlog.get_logger(__name__)

JsonObject = dict[str, Any]


def new_id() -> str:
    return str(uuid.uuid4())


def directive(
    namespace: str, name: str, payload: JsonObject, *, dialog_request_id: str | None = None
) -> JsonObject:
    header: JsonObject = {"namespace": namespace, "name": name, "messageId": new_id()}
    if dialog_request_id:
        header["dialogRequestId"] = dialog_request_id
    return {"directive": {"header": header, "payload": payload}}


def hello() -> JsonObject:
    return directive("Clova", "Hello", {})


def exception_body(status: int, description: str) -> JsonObject:
    """The System.Exception directive CIC sends with an error status."""
    return directive("System", "Exception", {"code": status, "description": description})


def directive_label(message: JsonObject) -> tuple[str, str]:
    """(``Namespace.Name``, messageId) of a directive dict, whatever its shape, for logs."""
    body = message.get("directive", message)
    header = body.get("header") if isinstance(body, dict) else None
    if not isinstance(header, dict):
        return "?", "?"
    name = f"{header.get('namespace', '?')}.{header.get('name', '?')}"
    return name, str(header.get("messageId", "?"))


def log_directive(device: str, message: JsonObject, *, via: str) -> None:
    name, message_id = directive_label(message)
    log.info("mock_cic.directive", device=device, directive=name, message_id=message_id, via=via)
