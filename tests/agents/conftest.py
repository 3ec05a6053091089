"""The voice rig's fixtures (``voice_rig.py``) for every test here."""

from tests.agents.voice_rig import logs, rig

__all__ = ["logs", "rig"]
