"""docs/OPERATIONS.md's failure table says what the daemon really logs: every event name is
one the code logs, and every quoted reason is one a code path can produce."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from clova_client.player.backends.vlc import diagnosis

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "OPERATIONS.md"
BACKEND_PREFIX = "backend error: "


def _code_strings() -> tuple[set[str], list[list[str]]]:
    """Every string constant of the package, and every f-string / format template as its
    literal parts (a placeholder between two parts) with enough literal text to mean something."""
    constants: set[str] = set()
    templates: list[list[str]] = []
    for path in (REPO / "clova_client").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
                templates.append(re.split(r"\{[^}]*\}", node.value))
            elif isinstance(node, ast.JoinedStr):
                parts, literal = [], ""
                for value in node.values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        literal += value.value
                    else:
                        parts.append(literal)
                        literal = ""
                parts.append(literal)
                if sum(len(p) for p in parts) >= 8:
                    templates.append(parts)
    return constants, templates


def _regex(parts: list[str]) -> re.Pattern[str]:
    return re.compile(".+".join(re.escape(p) for p in parts), re.DOTALL)


def produces(parts: list[str], text: str) -> bool:
    """Can the template write ``text``? A ``...`` in the documented text elides the rest: then
    the text up to it must start a filled-in template, with at least 8 of its literal chars."""
    if "..." not in text:
        return _regex(parts).fullmatch(text) is not None
    head = text.split("...", 1)[0]
    if not (head.startswith(parts[0]) or parts[0].startswith(head)):
        return False  # most templates: a different first word
    for k, part in enumerate(parts):
        for cut in range(len(part) + 1):
            if sum(map(len, parts[:k])) + cut < 8:
                continue
            regex = ".+".join([*map(re.escape, parts[:k]), re.escape(part[:cut])]) + ".*"
            if re.fullmatch(regex, head, re.DOTALL):
                return True
    return False


EXCEPTION_TEXT = re.compile(r"\w+(Error|Exception)\(.*\)")
"""A reason that is a library's exception as logged (``repr``): its text is not ours."""


def _rows() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Common failures and what the log says") :]
    lines = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    return [line for line in lines if not line.startswith("| symptom |")]


def _log_spans(row: str) -> list[str]:
    column = row.split(" | ")[1]
    return [s for s in re.findall(r"`([^`]+)`", column) if re.match(r"[a-z][a-z_.]*( |$)", s)]


def test_the_table_is_there_and_names_real_events() -> None:
    constants, _ = _code_strings()
    rows = _rows()
    assert len(rows) >= 30
    names = {span.split()[0] for row in rows for span in _log_spans(row)}
    assert {"player.item_abandoned", "cic.waiting_for_token", "event_expired"} <= names
    missing = sorted(name for name in names if name not in constants)
    assert missing == [], f"documented log events the code never writes: {missing}"


def test_every_documented_reason_is_one_the_code_writes() -> None:
    _, templates = _code_strings()
    causes = [[diagnosis.NOT_AUDIO], [diagnosis.OPEN_FAILED]]
    causes += [re.split(r"\{[^}]*\}", text) for _, text in diagnosis._CAUSES]
    checked = 0
    for row in _rows():
        for span in _log_spans(row):
            for reason in re.findall(r"reason=(?:'([^']*)'|\"([^\"]*)\")", span):
                text = reason[0] or reason[1]
                if not text.strip("."):
                    continue  # "reason='...'": any reason
                if span.startswith("player.item_abandoned") and text.startswith(BACKEND_PREFIX):
                    cause = text.removeprefix(BACKEND_PREFIX)
                    assert any(produces(c, cause) for c in causes), f"no backend cause: {cause}"
                elif not EXCEPTION_TEXT.fullmatch(text):
                    assert any(produces(t, text) for t in templates), f"not in the code: {text}"
                checked += 1
    assert checked >= 20
