"""ProtocolError: the one exception the parsers raise, and the guard that makes it the only one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


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


def printable(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, lone surrogates as ``\\udXXX`` (always encodable)."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


def never_raises_other(parse: Callable[P, T]) -> Callable[P, T]:
    """Wrap a parser so that any exception besides ProtocolError (a gap in the checks, a model
    validator that raised TypeError, RecursionError, MemoryError) becomes a ProtocolError."""

    @functools.wraps(parse)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return parse(*args, **kwargs)
        except ProtocolError:
            raise
        except RecursionError:
            raise ProtocolError([FieldError("", "nested too deeply to read")]) from None
        except Exception as exc:
            reason = f"unreadable message: {type(exc).__name__}: {printable(str(exc))}"
            raise ProtocolError([FieldError("", reason)]) from None

    return guarded
