"""StatusBuilder: the last failed item and why, and which errors are past."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

from clova_client.control.render import render_status
from clova_client.control.status_builder import StatusBuilder
from clova_client.player.notices import ItemRef, Notice, NoticeKind
from clova_client.player.queue import QueueRepeat
from clova_client.player.status import Activity, PlayerStatus

from .conftest import sample_status

IDLE = PlayerStatus(Activity.IDLE, QueueRepeat.NONE)


def _notice(kind: NoticeKind, token: str, reason: str | None = None) -> Notice:
    return Notice(kind, IDLE, ItemRef(f"id-{token}", token), reason=reason)


def _builder(state: str = "CONNECTED", since: float = 0.0) -> StatusBuilder:
    client = SimpleNamespace(state=SimpleNamespace(name=state))
    fake: Any = None
    return StatusBuilder(
        fake, cast(Any, client), fake, fake, fake, fake, list, connection_since=since
    )


def test_a_failure_is_current_until_an_item_plays() -> None:
    builder = _builder()
    builder.on_notice(_notice(NoticeKind.FAILED, "tok-404", "HTTP 404 from the media server"))
    failure = builder.last_failure
    assert failure is not None and failure["token"] == "tok-404"
    assert failure["reason"] == "HTTP 404 from the media server"
    doc = sample_status()
    doc["player"]["last_failure"] = {**failure, "past": builder.last_start > failure["at"]}
    assert "  failed:    tok-404  HTTP 404 from the media server" in render_status(doc)
    time.sleep(0.01)
    builder.on_notice(_notice(NoticeKind.STARTED, "tok-next"))
    assert builder.last_start > failure["at"]
    doc["player"]["last_failure"] = {**failure, "past": True}
    assert "  recovered: tok-404  HTTP 404 from the media server" in render_status(doc)


def test_errors_are_marked_past_once_their_part_recovered() -> None:
    now = time.time()
    cic_error = {"at": now - 10, "source": "cic.client", "message": "cic.reconnect_scheduled"}
    player_error = {"at": now - 10, "source": "player.lifecycle", "message": "item_abandoned"}
    connected_since = _builder("CONNECTED", since=now - 5)
    assert connected_since._marked(cast(Any, cic_error))["past"] is True
    assert connected_since._marked(cast(Any, player_error))["past"] is False
    still_down = _builder("BACKING_OFF", since=now - 5)
    assert still_down._marked(cast(Any, cic_error))["past"] is False
    doc = sample_status()
    doc["errors"] = [cast(Any, {**cic_error, "past": True})]
    assert "(past: recovered since)" in render_status(doc)
