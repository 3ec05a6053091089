"""AudioPlayer directives -> the player engine."""

from __future__ import annotations

from typing import Any

from ..player.engine import PlayerEngine
from ..protocol import Directive
from ..protocol.audioplayer import (
    NAMESPACE,
    ClearQueuePayload,
    PlayPayload,
    StreamDeliverPayload,
)
from .audioplayer_items import AudioPlayerPlays
from .router import Attachments, Router, expect_payload


class AudioPlayerAgent:
    """Hands Play / ClearQueue / StreamDeliver / ExpectReportPlaybackState to the engine."""

    def __init__(self, engine: PlayerEngine) -> None:
        self._engine = engine
        self._plays = AudioPlayerPlays(engine)  # the payloads as the engine's items

    def register(self, router: Router) -> None:
        router.register(NAMESPACE, "Play", self.play)
        router.register(NAMESPACE, "ClearQueue", self.clear_queue)
        router.register(NAMESPACE, "StreamDeliver", self.stream_deliver)
        router.register(NAMESPACE, "ExpectReportPlaybackState", self.report_state)

    async def play(self, directive: Directive[Any], attachments: Attachments) -> None:
        await self._plays.play(
            expect_payload(directive, PlayPayload),
            dialog_request_id=directive.header.dialog_request_id,
            attachments=attachments,
        )

    async def clear_queue(self, directive: Directive[Any], attachments: Attachments) -> None:
        await self._plays.clear_queue(expect_payload(directive, ClearQueuePayload))

    async def stream_deliver(self, directive: Directive[Any], attachments: Attachments) -> None:
        await self._plays.stream_deliver(expect_payload(directive, StreamDeliverPayload))

    async def report_state(self, directive: Directive[Any], attachments: Attachments) -> None:
        self._engine.report_playback_state(directive.header.dialog_request_id)
