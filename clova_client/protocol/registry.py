"""Turning raw JSON into typed messages: one entry point for directives, one for events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, ValidationError

from . import (
    audioplayer,
    mediaplayer,
    playback_controller,
    speaker,
    speech,
    system,
    template_runtime,
)
from .base import DEFERRED, Directive, GenericPayload, Header, InModel, JsonObject, LooseHeader
from .errors import FieldError as FieldError
from .errors import ProtocolError as ProtocolError
from .errors import never_raises_other
from .jsontext import MAX_DEPTH as MAX_DEPTH
from .jsontext import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from .jsontext import TOO_DEEP as TOO_DEEP
from .jsontext import load_json as load_json


def _table(
    namespace: str, payloads: dict[str, type[InModel]]
) -> dict[tuple[str, str], type[InModel]]:
    return {(namespace, name): model for name, model in payloads.items()}


DIRECTIVES: dict[tuple[str, str], type[InModel]] = {
    **_table(audioplayer.NAMESPACE, audioplayer.DIRECTIVE_PAYLOADS),
    **_table(playback_controller.NAMESPACE, playback_controller.DIRECTIVE_PAYLOADS),
    **_table(mediaplayer.NAMESPACE, mediaplayer.DIRECTIVE_PAYLOADS),
    **_table(template_runtime.NAMESPACE, template_runtime.DIRECTIVE_PAYLOADS),
    **_table(speech.RECOGNIZER, speech.RECOGNIZER_DIRECTIVES),
    **_table(speech.SYNTHESIZER, speech.SYNTHESIZER_DIRECTIVES),
    **system.DIRECTIVE_PAYLOADS,
}


class _StreamRequestedIn(InModel):
    """StreamRequested as a server reads it (the 2017 example has no audioItemId; the CEK
    guide's EventRequest names the stream ``stream``)."""

    model_config = DEFERRED

    audio_item_id: str | None = None
    audio_stream: audioplayer.AudioStreamInfo = Field(
        validation_alias=AliasChoices("audioStream", "stream")
    )


EVENTS: dict[tuple[str, str], type[InModel]] = {
    **{(audioplayer.NAMESPACE, n): audioplayer.PlaybackEventIn for n in audioplayer.EVENT_NAMES},
    (audioplayer.NAMESPACE, "StreamRequested"): _StreamRequestedIn,
    (audioplayer.NAMESPACE, "ReportPlaybackState"): audioplayer.ReportPlaybackStateIn,
    **{(playback_controller.NAMESPACE, n): GenericPayload for n in playback_controller.EVENT_NAMES},
    **{(mediaplayer.NAMESPACE, n): mediaplayer.EventIn for n in mediaplayer.EVENT_NAMES},
    **_table(template_runtime.NAMESPACE, template_runtime.EVENT_PAYLOADS),
    (speech.RECOGNIZER, "Recognize"): speech.RecognizeIn,
    **{(speech.SYNTHESIZER, n): speech.SpeechTokenIn for n in speech.SPEECH_EVENT_NAMES},
}

CONTEXTS: dict[tuple[str, str], type[InModel]] = {
    (audioplayer.NAMESPACE, "PlaybackState"): audioplayer.PlaybackStatePayload,
    (mediaplayer.NAMESPACE, "PlaybackState"): mediaplayer.MediaPlayerContextIn,
    (speaker.NAMESPACE, "VolumeState"): speaker.VolumeStateIn,
    (speech.SYNTHESIZER, "SpeechState"): speech.SpeechStateIn,
}


@dataclass
class ParsedContext:
    """One context object (``{header: {namespace, name}, payload}``) with a typed payload."""

    header: Header
    payload: BaseModel
    known: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.header.namespace}.{self.header.name}"


@dataclass
class ParsedEvent:
    """An event as a server reads it: header, typed payload, and its context list."""

    header: Header
    payload: BaseModel
    context: list[JsonObject] = field(default_factory=list)
    known: bool = True
    erratum: str | None = None
    parsed_context: list[ParsedContext] = field(default_factory=list)
    """The context list again, each object with a typed payload (in the same order)."""

    @property
    def full_name(self) -> str:
        return f"{self.header.namespace}.{self.header.name}"


@dataclass
class ExtensionResponse:
    """A CEK extension response (``response.directives[]``): how an extension drives a client."""

    directives: list[Directive[Any]]
    body: JsonObject


@dataclass
class EventRequest:
    """A CEK ``EventRequest``: an event as the extension receives it, context keyed by namespace."""

    event: ParsedEvent
    request_id: str | None
    context: JsonObject
    playback_state: audioplayer.PlaybackStatePayload | None = None


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    parts = [prefix] if prefix else []
    parts += [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    return ".".join(parts).replace(".[", "[")


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def _loc(err: Any) -> tuple[int | str, ...]:
    """The error's location; a ``missing_field`` error names the field that is missing."""
    loc = tuple(err["loc"])
    if err["type"] == "missing_field":
        loc += (err["ctx"]["field"],)
    return loc


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """ValidationError -> ``directive.payload.audioItem.stream.token: field required`` lines."""
    return [FieldError(_path(prefix, _loc(e)), _message(e)) for e in exc.errors()]


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


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _header(raw_header: Any, where: str, model: type[Header] = Header) -> Header:
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


def _is_exception(raw_header: Any) -> bool:
    if not isinstance(raw_header, dict):
        return False
    return (raw_header.get("namespace"), raw_header.get("name")) == ("System", "Exception")


def _directive_erratum(header: Header, payload: Any) -> tuple[Header, str | None]:
    """The newer AudioPlayer guide sends a Play payload under a header named StreamDeliver."""
    if (
        (header.namespace, header.name) == (audioplayer.NAMESPACE, "StreamDeliver")
        and isinstance(payload, dict)
        and "audioItem" in payload
        and "audioItemId" not in payload
    ):
        fixed = header.model_copy(update={"name": "Play"})
        return fixed, "Play payload under a header named StreamDeliver: handled as Play"
    return header, None


def _directive(raw_header: Any, raw_payload: Any, prefix: str, *, loose: bool) -> Directive[Any]:
    # errors always get through: System.Exception is read even without a messageId
    model = LooseHeader if loose or _is_exception(raw_header) else Header
    header = _header(raw_header, _join(prefix, "header"), model)
    header, erratum = _directive_erratum(header, raw_payload)
    payload, known = parse_payload(DIRECTIVES, header, raw_payload, _join(prefix, "payload"))
    return Directive[Any](header=header, payload=payload, known=known, erratum=erratum)


@never_raises_other
def parse_directive(raw: bytes | str | JsonObject, *, loose: bool = False) -> Directive[Any]:
    """Raw JSON -> typed Directive for known (namespace, name), generic Directive otherwise.

    Accepts ``{"directive": {header, payload}}`` and the bare ``{header, payload}`` form. Raises
    ProtocolError (never anything else) when the message cannot be used. ``loose`` accepts the
    extension (CEK) form, whose header has no messageId.
    """
    data = load_json(raw)
    prefix, raw_header, raw_payload = _message_parts(data, "directive")
    return _directive(raw_header, raw_payload, prefix, loose=loose)


@never_raises_other
def parse_context(item: Any, where: str = "") -> ParsedContext:
    """One context object -> typed payload for known (namespace, name), generic otherwise."""
    if not isinstance(item, dict):
        raise ProtocolError([FieldError(where, "expected an object")])
    header = _header(item.get("header"), _join(where, "header"), LooseHeader)
    payload, known = parse_payload(CONTEXTS, header, item.get("payload"), _join(where, "payload"))
    return ParsedContext(header=header, payload=payload, known=known)


def _event(
    raw_header: Any,
    raw_payload: Any,
    header_where: str,
    payload_where: str,
    header_model: type[Header] = Header,
) -> ParsedEvent:
    """Header and payload of an event; the NUGU examples' wrong names are put right."""
    header = _header(raw_header, header_where, header_model)
    erratum = None
    renamed = mediaplayer.EVENT_NAME_ERRATA.get((header.namespace, header.name))
    if renamed:
        erratum = f"event named {header.namespace}.{header.name}: handled as {renamed}"
        header = header.model_copy(update={"namespace": mediaplayer.NAMESPACE, "name": renamed})
    payload, known = parse_payload(EVENTS, header, raw_payload, payload_where)
    return ParsedEvent(header=header, payload=payload, known=known, erratum=erratum)


@never_raises_other
def parse_event(raw: bytes | str | JsonObject) -> ParsedEvent:
    """Raw event JSON (as the mock server receives it) -> header, typed payload, context.

    Known context objects (AudioPlayer.PlaybackState, ...) are validated too.
    """
    data = load_json(raw)
    prefix, raw_header, raw_payload = _message_parts(data, "event")
    event = _event(raw_header, raw_payload, _join(prefix, "header"), _join(prefix, "payload"))
    context = data.get("context", [])
    if not isinstance(context, list):
        raise ProtocolError([FieldError("context", "expected a list")], event.header.message_id)
    try:
        event.parsed_context = [parse_context(c, f"context[{i}]") for i, c in enumerate(context)]
    except ProtocolError as exc:
        exc.message_id, exc.full_name = event.header.message_id, event.full_name
        raise
    event.context = context
    return event


def _object(data: JsonObject, key: str, where: str) -> JsonObject:
    value = data.get(key)
    if not isinstance(value, dict):
        problem = "field required" if value is None else "expected an object"
        raise ProtocolError([FieldError(_join(where, key), problem)])
    return value


@never_raises_other
def parse_extension_response(raw: bytes | str | JsonObject) -> ExtensionResponse:
    """A CEK extension response -> its directives (CEK headers carry no messageId)."""
    data = load_json(raw)
    response = _object(data, "response", "")
    items = response.get("directives", [])
    if not isinstance(items, list):
        raise ProtocolError([FieldError("response.directives", "expected a list")])
    directives, errors = [], []
    for i, item in enumerate(items):
        where = f"response.directives[{i}]"
        try:
            if not isinstance(item, dict):
                raise ProtocolError([FieldError(where, "expected an object")])
            directives.append(
                _directive(item.get("header"), item.get("payload", {}), where, loose=True)
            )
        except ProtocolError as exc:
            errors += exc.errors
    if errors:
        raise ProtocolError(errors)
    return ExtensionResponse(directives, data)


@never_raises_other
def parse_event_request(raw: bytes | str | JsonObject) -> EventRequest:
    """A CEK ``EventRequest``: ``request.event`` {namespace, name, payload}, context by name."""
    data = load_json(raw)
    request = _object(data, "request", "")
    event = _object(request, "event", "request")
    raw_header = {k: event.get(k) for k in ("namespace", "name")}
    parsed = _event(
        raw_header, event.get("payload", {}), "request.event", "request.event.payload", LooseHeader
    )
    context = data.get("context", {})
    if not isinstance(context, dict):
        raise ProtocolError([FieldError("context", "expected an object")])
    state = None
    if isinstance(context.get(audioplayer.NAMESPACE), dict):
        try:
            state = audioplayer.PlaybackStatePayload.model_validate(context[audioplayer.NAMESPACE])
        except ValidationError as exc:
            raise ProtocolError(field_errors(exc, "context.AudioPlayer")) from None
    request_id = request.get("requestId")
    return EventRequest(
        event=parsed,
        request_id=request_id if isinstance(request_id, str) else None,
        context=context,
        playback_state=state,
    )
