"""TemplateRuntime namespace: RequestPlayerInfo (event) and RenderPlayerInfo (directive)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import DEFERRED, InModel, OutModel

NAMESPACE = "TemplateRuntime"


class Range(OutModel):
    before: int | None = Field(default=None, ge=0)
    after: int | None = Field(default=None, ge=0)


class RequestPlayerInfoPayload(OutModel):
    token: str
    range: Range | None = None


class Control(InModel):
    model_config = DEFERRED

    enabled: bool | None = None
    name: str | None = None
    selected: bool | None = None
    type: str | None = None


class Lyrics(InModel):
    model_config = DEFERRED

    data: str | None = None
    format: str | None = None
    url: str | None = None


class PlayableItem(InModel):
    model_config = DEFERRED

    token: str | None = None
    title_text: str | None = None
    title_sub_text1: str | None = None
    title_sub_text2: str | None = None
    header_text: str | None = None
    art_image_url: str | None = None
    lyrics: list[Lyrics] | None = None
    controls: list[Control] | None = None
    is_live: bool | None = None
    show_adult_icon: bool | None = None


class Provider(InModel):
    model_config = DEFERRED

    name: str | None = None
    logo_url: str | None = None
    small_logo_url: str | None = None


class RenderPlayerInfoPayload(InModel):
    model_config = DEFERRED

    controls: list[Control] = Field(default_factory=list)
    display_type: str | None = None
    playable_items: list[PlayableItem] = Field(default_factory=list)
    provider: Provider | None = None

    def item_for(self, token: str) -> PlayableItem | None:
        return next((i for i in self.playable_items if i.token == token), None)


class RequestPlayerInfoIn(InModel):
    """RequestPlayerInfo as a server (the mock) reads it."""

    model_config = DEFERRED

    token: str
    range: dict[str, Any] | None = None


DIRECTIVE_PAYLOADS: dict[str, type[InModel]] = {"RenderPlayerInfo": RenderPlayerInfoPayload}
EVENT_PAYLOADS: dict[str, type[InModel]] = {"RequestPlayerInfo": RequestPlayerInfoIn}
