"""Envelope models shared by every namespace: header, directive, event, context."""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JsonObject = dict[str, Any]

DEFERRED = ConfigDict(defer_build=True)
"""The config of a message the daemon rarely or never validates (voice, MediaPlayer's commands,
TemplateRuntime's display, what only a server reads): its validator is built at its first use
(0.1-6 ms here) instead of at import, which keeps ~1 MiB of validators out of an idle speaker
(docs/ARCHITECTURE.md, Decisions). AudioPlayer's and the context's models are built at import:
the first Play must not pay for its schema on its way to sound."""


class InModel(BaseModel):
    """Tolerant model for what the server sends: unknown fields are kept, names are camelCase."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=to_camel, regex_engine="python-re"
    )

    def to_json(self) -> JsonObject:
        """The fields as they came in (plus any set since), camelCase, unknown fields kept."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")


class OutModel(BaseModel):
    """Strict model for what the client sends: only documented fields, None fields left out."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=to_camel, regex_engine="python-re"
    )

    def to_json(self) -> JsonObject:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class Header(InModel):
    """A directive's header. CIC always sets messageId; dialogRequestId only on replies."""

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    message_id: str = Field(min_length=1)
    dialog_request_id: str | None = None


class LooseHeader(Header):
    """A header as the extension (CEK) side writes it: messageId may be missing."""

    message_id: str = ""


class EventHeader(OutModel):
    namespace: str
    name: str
    message_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    dialog_request_id: str | None = None
    version: str | None = None


class GenericPayload(InModel):
    """Payload of a message this client does not know: every field kept as it came."""


P = TypeVar("P", bound=BaseModel)


class Directive(BaseModel, Generic[P]):
    """A parsed directive: typed payload for known (namespace, name), generic otherwise."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    header: Header
    payload: P
    known: bool = True
    erratum: str | None = None
    """Set when the message was accepted in a documented wrong form (spec README errata)."""

    @property
    def full_name(self) -> str:
        return f"{self.header.namespace}.{self.header.name}"


class Event(BaseModel):
    """An outgoing event with its context list, serialised exactly as CIC documents it."""

    header: EventHeader
    payload: JsonObject = Field(default_factory=dict)
    context: list[JsonObject] = Field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.header.namespace}.{self.header.name}"

    @property
    def message_id(self) -> str:
        return self.header.message_id

    def to_json(self) -> JsonObject:
        return {
            "context": self.context,
            "event": {"header": self.header.to_json(), "payload": self.payload},
        }


def make_event(
    namespace: str,
    name: str,
    payload: BaseModel | JsonObject | None = None,
    context: list[JsonObject] | None = None,
    *,
    dialog_request_id: str | None = None,
    version: str | None = None,
    message_id: str | None = None,
) -> Event:
    """Build an event; a model payload is dumped with its documented camelCase names."""
    if isinstance(payload, OutModel):
        body = payload.to_json()
    elif isinstance(payload, BaseModel):
        body = payload.model_dump(by_alias=True, exclude_none=True, mode="json")
    else:
        body = dict(payload or {})
    header = EventHeader(
        namespace=namespace, name=name, dialog_request_id=dialog_request_id, version=version
    )
    if message_id:
        header.message_id = message_id
    return Event(header=header, payload=body, context=list(context or []))


def context_item(namespace: str, name: str, payload: JsonObject) -> JsonObject:
    return {"header": {"namespace": namespace, "name": name}, "payload": payload}
