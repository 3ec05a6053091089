"""Turning raw JSON into typed messages: one entry point for directives, one for events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from . import audioplayer, mediaplayer, playback_controller, system, template_runtime
from .base import Directive, GenericPayload, Header, InModel, JsonObject, LooseHeader

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
"""Largest JSON message accepted; a directive's JSON is a few KiB, audio travels as a part."""


def _table(
    namespace: str, payloads: dict[str, type[InModel]]
) -> dict[tuple[str, str], type[InModel]]:
    return {(namespace, name): model for name, model in payloads.items()}


DIRECTIVES: dict[tuple[str, str], type[InModel]] = {
    **_table(audioplayer.NAMESPACE, audioplayer.DIRECTIVE_PAYLOADS),
    **_table(playback_controller.NAMESPACE, playback_controller.DIRECTIVE_PAYLOADS),
    **_table(mediaplayer.NAMESPACE, mediaplayer.DIRECTIVE_PAYLOADS),
    **_table(template_runtime.NAMESPACE, template_runtime.DIRECTIVE_PAYLOADS),
    **system.DIRECTIVE_PAYLOADS,
}


class _StreamRequestedIn(InModel):
    """StreamRequested as a server reads it (the 2017 example has no audioItemId)."""

    audio_item_id: str | None = None
    audio_stream: audioplayer.AudioStreamInfo


EVENTS: dict[tuple[str, str], type[InModel]] = {
    **{(audioplayer.NAMESPACE, n): audioplayer.EmptyPayload for n in audioplayer.EVENT_NAMES},
    (audioplayer.NAMESPACE, "StreamRequested"): _StreamRequestedIn,
    **{(playback_controller.NAMESPACE, n): GenericPayload for n in playback_controller.EVENT_NAMES},
    **{(mediaplayer.NAMESPACE, n): mediaplayer.EventIn for n in mediaplayer.EVENT_NAMES},
    **_table(template_runtime.NAMESPACE, template_runtime.EVENT_PAYLOADS),
}

CONTEXTS: dict[tuple[str, str], type[InModel]] = {
    (audioplayer.NAMESPACE, "PlaybackState"): audioplayer.PlaybackStatePayload,
    (mediaplayer.NAMESPACE, "PlaybackState"): mediaplayer.MediaPlayerContextIn,
}


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class ProtocolError(Exception):
    """A message that cannot be used, with every reason and the field path it concerns."""

    errors: list[FieldError]
    message_id: str | None = None
    full_name: str | None = None

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


@dataclass
class ParsedEvent:
    """An event as a server reads it: header, typed payload, and its context list."""

    header: Header
    payload: BaseModel
    context: list[JsonObject] = field(default_factory=list)
    known: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.header.namespace}.{self.header.name}"


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    parts = [prefix] if prefix else []
    parts += [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    return ".".join(parts).replace(".[", "[")


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """ValidationError -> ``directive.payload.audioItem.stream.token: field required`` lines."""
    return [FieldError(_path(prefix, tuple(e["loc"])), _message(e)) for e in exc.errors()]


def load_json(raw: bytes | str | JsonObject) -> JsonObject:
    """Decode one JSON object, with a clear ProtocolError for anything else."""
    if isinstance(raw, dict):
        return raw
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            [FieldError("", f"message too large: {len(raw)} bytes (limit {MAX_MESSAGE_BYTES})")]
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError([FieldError("", f"malformed JSON: {exc}")]) from None
    except RecursionError:
        raise ProtocolError([FieldError("", "malformed JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise ProtocolError([FieldError("", f"expected a JSON object, got {type(data).__name__}")])
    return data


def _message_parts(data: JsonObject, wrapper: str) -> tuple[str, Any, Any]:
    """Find header and payload, wrapped in ``wrapper`` or bare (2017 System.Exception)."""
    if wrapper in data:
        body = data[wrapper]
        if not isinstance(body, dict):
            raise ProtocolError([FieldError(wrapper, "expected an object")])
        return wrapper, body.get("header"), body.get("payload", {})
    if "header" in data:
        return "", data.get("header"), data.get("payload", {})
    raise ProtocolError([FieldError(wrapper, "field required")])


def _header(raw_header: Any, prefix: str, model: type[Header] = Header) -> Header:
    where = f"{prefix}.header" if prefix else "header"
    try:
        return model.model_validate(raw_header)
    except ValidationError as exc:
        raise ProtocolError(field_errors(exc, where)) from None


def parse_payload(
    table: dict[tuple[str, str], type[InModel]], header: Header, payload: Any, where: str
) -> tuple[BaseModel, bool]:
    """Validate a payload by (namespace, name); unknown names keep it as a generic payload."""
    model = table.get((header.namespace, header.name))
    try:
        if model is None:
            return GenericPayload.model_validate(payload), False
        return model.model_validate(payload), True
    except ValidationError as exc:
        raise ProtocolError(
            field_errors(exc, where), header.message_id, f"{header.namespace}.{header.name}"
        ) from None


def parse_directive(raw: bytes | str | JsonObject, *, loose: bool = False) -> Directive[Any]:
    """Raw JSON -> typed Directive for known (namespace, name), generic Directive otherwise.

    Accepts ``{"directive": {header, payload}}`` and the bare ``{header, payload}`` form. Raises
    ProtocolError (never anything else) when the message cannot be used. ``loose`` accepts the
    extension (CEK) form, whose header has no messageId.
    """
    data = load_json(raw)
    prefix, raw_header, raw_payload = _message_parts(data, "directive")
    header = _header(raw_header, prefix, LooseHeader if loose else Header)
    where = f"{prefix}.payload" if prefix else "payload"
    payload, known = parse_payload(DIRECTIVES, header, raw_payload, where)
    return Directive[Any](header=header, payload=payload, known=known)


def parse_event(raw: bytes | str | JsonObject) -> ParsedEvent:
    """Raw event JSON (as the mock server receives it) -> header, typed payload, context."""
    data = load_json(raw)
    prefix, raw_header, raw_payload = _message_parts(data, "event")
    header = _header(raw_header, prefix)
    renamed = mediaplayer.EVENT_NAME_ERRATA.get((header.namespace, header.name))
    if renamed:
        header = header.model_copy(update={"namespace": mediaplayer.NAMESPACE, "name": renamed})
    where = f"{prefix}.payload" if prefix else "payload"
    payload, known = parse_payload(EVENTS, header, raw_payload, where)
    context = data.get("context", [])
    if not isinstance(context, list):
        raise ProtocolError([FieldError("context", "expected a list")], header.message_id)
    return ParsedEvent(header=header, payload=payload, context=context, known=known)
