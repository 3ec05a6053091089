"""Every daemon test starts from a clean environment: no CLOVA_*, journald or systemd variables."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_FOREIGN = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("CLOVA_") or name in _FOREIGN:
            monkeypatch.delenv(name)
    yield
