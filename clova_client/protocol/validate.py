"""Check any message shape the spec shows (``parse_message``); ``cli/validate.py`` reads the
files of ``clova-client validate`` and prints its verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from . import audioplayer, mediaplayer, speaker
from .base import Directive
from .errors import never_raises_other
from .registry import (
    CONTEXTS,
    EVENTS,
    FieldError,
    ParsedEvent,
    ProtocolError,
    field_errors,
    load_json,
    parse_context,
    parse_directive,
    parse_event,
    parse_event_request,
    parse_extension_response,
)


class Kind(StrEnum):
    DIRECTIVE = "directive"
    EVENT = "event"
    CONTEXT = "context object"
    EXTENSION_RESPONSE = "CEK extension response"
    EVENT_REQUEST = "CEK EventRequest"
    PAYLOAD = "bare payload"


@dataclass(frozen=True)
class Message:
    """A valid message: what it is, its full name(s), and the parsed value."""

    kind: Kind
    name: str
    value: Any
    notes: tuple[str, ...] = ()


STREAM_KEYS = ("url", "token", "urlPlayable", "beginAtInMilliseconds", "progressReport")
BARE_PAYLOADS: tuple[tuple[tuple[str, ...], str, type[BaseModel]], ...] = (
    # (any of these keys, full name, model), tried in order
    (("audioItem",), "AudioPlayer.Play", audioplayer.PlayPayload),
    (("playerActivity",), "AudioPlayer.PlaybackState", audioplayer.PlaybackStatePayload),
    (("category",), "MediaPlayer.Song", mediaplayer.Song),
    (STREAM_KEYS, "AudioPlayer.AudioStreamInfoObject", audioplayer.AudioStreamInfo),
    (("muted",), "Speaker.VolumeState", speaker.VolumeStateIn),
)
UNKNOWN = "not known to this client: kept whole as a generic payload"


def _notes(*notes: str | None) -> tuple[str, ...]:
    return tuple(n for n in notes if n)


def _directive(d: Directive[Any]) -> Message:
    return Message(Kind.DIRECTIVE, d.full_name, d, _notes(d.erratum, None if d.known else UNKNOWN))


def _event(e: ParsedEvent) -> Message:
    return Message(Kind.EVENT, e.full_name, e, _notes(e.erratum, None if e.known else UNKNOWN))


def _validate(model: type[BaseModel], body: Any, where: str = "") -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ProtocolError(field_errors(exc, where)) from None


def _bare(data: dict[str, Any]) -> Message:
    """A payload or object shown on its own (2017 Play, stream, PlaybackState, NUGU context)."""
    if "MediaPlayer" in data:  # the NUGU context: {"MediaPlayer": {...}}
        context = _validate(mediaplayer.MediaPlayerContextIn, data["MediaPlayer"], "MediaPlayer")
        return Message(Kind.PAYLOAD, "MediaPlayer.PlaybackState", context)
    for keys, name, model in BARE_PAYLOADS:
        if any(k in data for k in keys):
            return Message(Kind.PAYLOAD, name, _validate(model, data))
    raise ProtocolError(
        [FieldError("", "unrecognised message: not a directive, event, context or known payload")]
    )


def _by_header(data: dict[str, Any]) -> Message:
    """A bare ``{header, payload}``: directive, event or context, told apart by its name."""
    header = data.get("header")
    key = None
    if isinstance(header, dict):
        namespace, name = header.get("namespace"), header.get("name")
        key = (namespace, name) if isinstance(namespace, str) and isinstance(name, str) else None
    if key in EVENTS or key in mediaplayer.EVENT_NAME_ERRATA:
        return _event(parse_event(data))
    if key in CONTEXTS:
        context = parse_context(data)
        return Message(Kind.CONTEXT, context.full_name, context)
    return _directive(parse_directive(data))


@never_raises_other
def parse_message(raw: bytes | str | dict[str, Any]) -> Message:
    """Any message shape the spec shows -> Message; ProtocolError (never anything else) when
    it is not valid."""
    data = load_json(raw)
    if "directive" in data:
        return _directive(parse_directive(data))
    if "event" in data:
        return _event(parse_event(data))
    if "response" in data:
        r = parse_extension_response(data)
        names = ", ".join(d.full_name for d in r.directives) or "(no directives)"
        unknown = [f"{d.full_name}: {UNKNOWN}" for d in r.directives if not d.known]
        errata = [d.erratum for d in r.directives]
        return Message(Kind.EXTENSION_RESPONSE, names, r, _notes(*unknown, *errata))
    if "request" in data:
        q = parse_event_request(data)
        notes = _notes(q.event.erratum, None if q.event.known else UNKNOWN)
        return Message(Kind.EVENT_REQUEST, q.event.full_name, q, notes)
    if "header" in data:
        return _by_header(data)
    return _bare(data)
