"""Router: unknown directives, the dialogRequestId rule, bad directives, failing handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import pytest
import structlog

from clova_client.agents.router import Outcome, Router
from clova_client.protocol import Directive


def raw(ns: str, name: str, payload: dict[str, Any], **header: str) -> bytes:
    head = {"namespace": ns, "name": name, "messageId": header.pop("mid", "m-1"), **header}
    return json.dumps({"directive": {"header": head, "payload": payload}}).encode()


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
def router() -> tuple[Router, list[tuple[str, Mapping[str, bytes]]]]:
    seen: list[tuple[str, Mapping[str, bytes]]] = []
    r = Router()

    async def handle(directive: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        seen.append((directive.header.message_id, attachments))

    r.register("PlaybackController", "Pause", handle)
    r.register("Vendor", "Custom", handle)
    return r, seen


async def test_handled_with_attachments(router: Any, logs: list[dict[str, Any]]) -> None:
    r, seen = router
    outcome = await r.dispatch(raw("PlaybackController", "Pause", {}), {"cid-1": b"x"})
    assert outcome is Outcome.HANDLED and seen == [("m-1", {"cid-1": b"x"})]
    line = next(e for e in logs if e["event"] == "directive_received")
    assert line["directive"] == "PlaybackController.Pause" and line["message_id"] == "m-1"


async def test_unknown_directives_are_ignored_one_by_one(router: Any) -> None:
    r, seen = router
    assert await r.dispatch(raw("Nope", "Never", {})) is Outcome.UNKNOWN
    assert await r.dispatch(raw("AudioPlayer", "ClearQueue", {"clearBehavior": "CLEAR_ALL"})) is (
        Outcome.UNKNOWN
    )
    assert await r.dispatch(raw("Vendor", "Custom", {"any": 1}, mid="m-2")) is Outcome.HANDLED
    assert [m for m, _ in seen] == ["m-2"]


async def test_cloud_minted_and_own_ids_are_handled(router: Any) -> None:
    """An id this speaker never saw is the cloud's: handled (spec README, dialogRequestId)."""
    r, seen = router
    pause: tuple[str, str, dict[str, Any]] = ("PlaybackController", "Pause", {})
    own = r.dialogs.mint()
    assert await r.dispatch(raw(*pause, mid="m-cloud", dialogRequestId="cloud-1")) is (
        Outcome.HANDLED
    )
    assert await r.dispatch(raw(*pause, mid="m-own", dialogRequestId=own)) is Outcome.HANDLED
    assert await r.dispatch(raw(*pause, mid="m-none")) is Outcome.HANDLED
    r.dialogs.begin("voice-1")
    assert await r.dispatch(raw(*pause, mid="m-own-2", dialogRequestId=own)) is Outcome.HANDLED
    assert [m for m, _ in seen] == ["m-cloud", "m-own", "m-none", "m-own-2"]


async def test_superseded_dialog_is_dropped_with_both_ids(
    router: Any, logs: list[dict[str, Any]]
) -> None:
    r, seen = router
    pause: tuple[str, str, dict[str, Any]] = ("PlaybackController", "Pause", {})
    r.dialogs.begin("voice-1")
    assert await r.dispatch(raw(*pause, mid="m-1", dialogRequestId="voice-1")) is Outcome.HANDLED
    r.dialogs.begin("voice-2")  # barge-in: the wake word again
    assert await r.dispatch(raw(*pause, mid="m-2", dialogRequestId="voice-1")) is (
        Outcome.STALE_DIALOG
    )
    assert await r.dispatch(raw(*pause, mid="m-3", dialogRequestId="voice-2")) is Outcome.HANDLED
    assert await r.dispatch(raw(*pause, mid="m-4", dialogRequestId="cloud-9")) is Outcome.HANDLED
    assert [m for m, _ in seen] == ["m-1", "m-3", "m-4"]
    (dropped,) = [e for e in logs if e["event"] == "directive_dropped"]
    assert dropped["message_id"] == "m-2" and "superseded" in dropped["reason"]
    assert dropped["dialog_request_id"] == "voice-1"
    assert dropped["current_dialog_request_id"] == "voice-2"


async def test_bad_directive_is_one_log_line_with_message_id_and_fields(
    router: Any, logs: list[dict[str, Any]]
) -> None:
    r, seen = router
    bad = raw("AudioPlayer", "Play", {"audioItem": {"stream": {}}}, mid="m-bad")
    assert await r.dispatch(bad) is Outcome.INVALID
    assert await r.dispatch(b"{not json") is Outcome.INVALID
    assert await r.dispatch(b'{"directive": {"header": {"messageId": "m-h"}}}') is Outcome.INVALID
    invalid = [e for e in logs if e["event"] == "directive_invalid"]
    assert [e["message_id"] for e in invalid] == ["m-bad", None, "m-h"]
    assert any("audioItem" in err for err in invalid[0]["errors"])
    assert any("header.namespace" in err for err in invalid[2]["errors"])
    assert seen == []


async def test_failing_handler_is_logged_and_router_goes_on(
    router: Any, logs: list[dict[str, Any]]
) -> None:
    r, seen = router

    async def boom(directive: Directive[Any], attachments: Mapping[str, bytes]) -> None:
        raise RuntimeError("boom")

    r.register("Vendor", "Boom", boom)
    assert await r.dispatch(raw("Vendor", "Boom", {}, mid="m-x")) is Outcome.FAILED
    assert await r.dispatch(raw("Vendor", "Custom", {}, mid="m-y")) is Outcome.HANDLED
    failed = next(e for e in logs if e["event"] == "directive_handler_failed")
    assert failed["exc_info"] is True and failed["message_id"] == "m-x"
    assert [m for m, _ in seen] == ["m-y"]


async def test_play_token_is_logged(router: Any, logs: list[dict[str, Any]]) -> None:
    r, _ = router
    stream = {"token": "tk-1", "url": "http://x/a.mp3"}
    play = {"audioItem": {"audioItemId": "i1", "stream": stream}, "playBehavior": "ENQUEUE"}
    await r.dispatch(raw("AudioPlayer", "Play", play))
    assert next(e for e in logs if e["event"] == "directive_received")["token"] == "tk-1"


async def test_a_parser_gap_never_ends_the_dispatcher(
    router: Any, logs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (issue 12): a plain ValueError out of the parser escaped ``dispatch``."""
    from clova_client.agents import router as router_module

    def explode(raw: object) -> None:
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    r, _ = router
    monkeypatch.setattr(router_module, "parse_directive", explode)
    assert await r.dispatch(raw("PlaybackController", "Pause", {})) is Outcome.INVALID
    (line,) = [e for e in logs if e["event"] == "directive_invalid"]
    assert "4300 digits" in line["errors"][0]
    monkeypatch.undo()
    assert await r.dispatch(raw("PlaybackController", "Pause", {}, mid="m-next")) is (
        Outcome.HANDLED
    )
