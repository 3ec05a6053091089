"""Speaker namespace: the ``Speaker.VolumeState`` context (the output's volume and mute)."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt

from .base import DEFERRED, InModel, JsonObject, OutModel, context_item

NAMESPACE = "Speaker"


class VolumeState(OutModel):
    """What the client reports as Speaker.VolumeState: volume 0-100 and whether it is muted."""

    volume: int = Field(ge=0, le=100)
    muted: bool

    def context(self) -> JsonObject:
        return context_item(NAMESPACE, "VolumeState", self.to_json())


class VolumeStateIn(InModel):
    """Speaker.VolumeState as a server reads it: both fields required (the guide's table), the
    volume an integer of 0 or more."""

    model_config = DEFERRED

    volume: StrictInt = Field(ge=0)
    muted: StrictBool
