"""ContextRegistry: the context objects every event carries, each from the part that owns it.

The AudioPlayer side provides ``AudioPlayer.PlaybackState``, the music side
``MediaPlayer.PlaybackState``, the mixer's owner ``Speaker.VolumeState``. Every event carries
every registered object, in ``ORDER`` (see docs/ARCHITECTURE.md, Decisions); an event may put
its own object in place of a provider's (the AudioPlayer state as of a notice, not "now").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..protocol import JsonObject

ContextProvider = Callable[[], JsonObject | None]
"""Makes the object now; None leaves it out (SpeechState before the first Speak)."""

AUDIO_PLAYER_STATE = "AudioPlayer.PlaybackState"
MEDIA_PLAYER_STATE = "MediaPlayer.PlaybackState"
VOLUME_STATE = "Speaker.VolumeState"
SPEECH_STATE = "SpeechSynthesizer.SpeechState"
ORDER = (AUDIO_PLAYER_STATE, MEDIA_PLAYER_STATE, VOLUME_STATE, SPEECH_STATE)
"""The order of the objects in an event; AudioPlayer.PlaybackState first, names not listed
here follow in the order they were registered."""


class ContextRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, ContextProvider] = {}

    def provide(self, name: str, provider: ContextProvider) -> None:
        """``provider`` makes the context object ``name`` ("namespace.name"); a second
        registration of the same name replaces the first."""
        self._providers[name] = provider

    def objects(self, overrides: Mapping[str, JsonObject] | None = None) -> list[JsonObject]:
        """Every registered object as of now, in order; ``overrides`` are the event's own
        objects by name, in place of a provider's (or beside them, where none is registered)."""
        given = overrides or {}
        names = [*self._providers, *(n for n in given if n not in self._providers)]
        ordered = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
        made = (given[n] if n in given else self._providers[n]() for n in ordered)
        return [obj for obj in made if obj is not None]
