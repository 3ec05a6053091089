"""The Mixer: the one owner of the speaker's output level, which every source plays through.

Volume (0-100) and mute belong to the output, not to a source: AudioPlayer's and MediaPlayer's
engines (and speech next) share them, so they are set here and applied to the output backend,
never through an engine. Speech plays on an output of its own (``attach_speech``) at the
user's level; while the dialog holds the audio focus the content output is *ducked*: its level
is the user's times the duck factor, so a volume change during speech lands on both and the
music comes back at the new level. Earcons (``earcon.py``) confirm an output change at the
mixer's volume, beside whatever plays.
"""

from __future__ import annotations

import structlog

from .backend import VolumeControl
from .earcon import Earcon, EarconOutput

log = structlog.get_logger(__name__)


class Mixer:
    def __init__(
        self, output: VolumeControl | None = None, earcons: EarconOutput | None = None
    ) -> None:
        """``output``: where the level is applied (None: kept, applied nowhere: an engine
        wired without an output of its own); ``earcons``: None plays no earcon sound."""
        self._output = output
        self.earcons = earcons
        self._volume = 100
        self._muted = False
        self._speech: VolumeControl | None = None
        self._duck: int | None = None
        """Percent of the user's volume the content plays at while ducked; None: not ducked."""

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def ducked(self) -> bool:
        return self._duck is not None

    @property
    def content_volume(self) -> int:
        """The level the content output plays at now (the user's, ducked or not)."""
        if self._duck is None:
            return self._volume
        return round(self._volume * self._duck / 100)

    async def attach_speech(self, output: VolumeControl) -> None:
        """The speech output: the user's volume and mute, never ducked."""
        self._speech = output
        await output.set_volume(self._volume)
        await output.set_mute(self._muted)

    async def set_volume(self, percent: int) -> None:
        """0-100 (clamped); mute stays as it is."""
        self._volume = max(0, min(100, percent))
        if self._output is not None:
            await self._output.set_volume(self.content_volume)
        if self._speech is not None:
            await self._speech.set_volume(self._volume)

    async def set_mute(self, muted: bool) -> None:
        self._muted = muted
        if self._output is not None:
            await self._output.set_mute(muted)
        if self._speech is not None:
            await self._speech.set_mute(muted)

    async def duck(self, percent: int) -> None:
        """Content at ``percent`` of the user's volume until ``unduck`` (speech over music)."""
        self._duck = max(0, min(100, percent))
        if self._output is not None:
            await self._output.set_volume(self.content_volume)
        log.info("mixer.ducked", volume=self._volume, content_volume=self.content_volume)

    async def unduck(self) -> None:
        """Content back at the user's volume (as it is now, changed during the duck or not)."""
        if self._duck is None:
            return
        self._duck = None
        if self._output is not None:
            await self._output.set_volume(self._volume)
        log.info("mixer.restored", volume=self._volume)

    async def restore(self, volume: int | None, muted: bool | None) -> None:
        """Apply a saved level (None: that part was not saved)."""
        if volume is not None:
            await self.set_volume(volume)
        if muted is not None:
            await self.set_mute(muted)

    async def earcon(self, earcon: Earcon) -> None:
        """Confirm an output change with a short sound at the current volume, when earcons are
        on; no player state, no notice, no event."""
        log.info("earcon", earcon=earcon.value, volume=self._volume, muted=self._muted)
        if self.earcons is not None:
            await self.earcons.play_earcon(earcon, self._volume)

    async def close(self) -> None:
        """Release the earcons' player (unless it is the output itself, closed by its owner)."""
        earcons: object = self.earcons
        if self.earcons is not None and earcons is not self._output:
            await self.earcons.close()
