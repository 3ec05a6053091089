"""``clova-client validate FILE...``: read each file (``-`` is stdin), check it with
``protocol.validate.parse_message`` and print its verdict."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..protocol.registry import MAX_MESSAGE_BYTES, FieldError, ProtocolError
from ..protocol.validate import Kind, parse_message


def read_message(path: str) -> bytes:
    """The file's bytes (``-`` is stdin); ProtocolError with one clear reason otherwise."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
        else:
            with open(path, "rb") as f:
                raw = f.read(MAX_MESSAGE_BYTES + 1)
    except IsADirectoryError:
        raise ProtocolError([FieldError("", "is a directory")]) from None
    except OSError as exc:
        raise ProtocolError([FieldError("", f"cannot read: {exc.strerror or exc}")]) from None
    if not raw.strip():
        raise ProtocolError([FieldError("", "empty file")])
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
        raise ProtocolError([FieldError("", f"not UTF-8 text ({where}): binary file?")]) from None
    return raw


def check_file(path: str, *, show_path: bool = True) -> tuple[bool, list[str]]:
    """Validate one file: (valid, the lines to print), prefixed ``FILE: `` when ``show_path``."""
    prefix = f"{path}: " if show_path else ""
    try:
        message = parse_message(read_message(path))
    except ProtocolError as exc:
        return False, [f"{prefix}error {e}" for e in exc.errors]
    extra = (message.kind.value,) if message.kind not in (Kind.DIRECTIVE, Kind.EVENT) else ()
    notes = "; ".join(extra + message.notes)
    return True, [f"{prefix}ok {message.name}" + (f" ({notes})" if notes else "")]


def run(paths: Sequence[str], out: TextIO) -> int:
    """Validate every file, print its verdict (like grep, naming files only when there are
    several): 0 when all are valid, 1 otherwise."""
    status = 0
    for path in paths:
        valid, lines = check_file(path, show_path=len(paths) > 1)
        out.write("".join(line + "\n" for line in lines))
        status = status if valid else 1
    return status
