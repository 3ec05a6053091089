"""System.Exception and Clova.Hello."""

from __future__ import annotations

from pydantic import field_validator

from .base import InModel


class ExceptionPayload(InModel):
    """System.Exception: ``code`` is the HTTP status, sent as a number or a string."""

    code: str
    description: str | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @property
    def status(self) -> int | None:
        return int(self.code) if self.code.isascii() and self.code.isdigit() else None


class HelloPayload(InModel):
    """Clova.Hello: the downchannel is up. No documented fields."""


DIRECTIVE_PAYLOADS: dict[tuple[str, str], type[InModel]] = {
    ("System", "Exception"): ExceptionPayload,
    ("Clova", "Hello"): HelloPayload,
}
