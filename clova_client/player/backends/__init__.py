"""The media backends behind ``player.backend.PlayerBackend``: ``fake`` (simulated, for tests)
and ``vlc`` (libVLC, the only package that imports ``vlc``). Both pass the one contract suite,
``tests/player/contract/``."""
