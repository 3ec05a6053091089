"""item_token: the one place that knows where a message names its item."""

from __future__ import annotations

from typing import Any

import pytest

from clova_client.protocol.items import item_token

STATE = [{"header": {"namespace": "AudioPlayer", "name": "PlaybackState"},
          "payload": {"playerActivity": "PLAYING", "stream": {"token": "ctx-tok"}}}]  # fmt: skip


ODD_HEADER = {"name": "PlaybackState"}


@pytest.mark.parametrize(
    ("payload", "context", "token"),
    [
        ({"token": "direct"}, None, "direct"),
        ({"audioItem": {"stream": {"token": "play-tok"}}}, None, "play-tok"),
        ({"audioItemId": "a", "audioStream": {"token": "deliver-tok"}}, None, "deliver-tok"),
        ({"stream": {"token": "stream-tok"}}, None, "stream-tok"),
        ({}, STATE, "ctx-tok"),
        ({"token": 7}, STATE, "ctx-tok"),
        ({}, None, None),
        ("not a mapping", [1, {"header": "x"}, {"header": {"name": "PlaybackState"}}], None),
        ({"audioItem": {"stream": ["odd"]}}, [{"header": ODD_HEADER, "payload": "odd"}], None),
    ],
)
def test_item_token(payload: Any, context: Any, token: str | None) -> None:
    assert item_token(payload, context) == token
