"""The owner's music library behind the MediaPlayer interface: scanned with mutagen, indexed
in SQLite FTS5, with likes and play history."""

from .library import Library
from .models import LibPlaylist, LibTrack, Query, ScanReport

__all__ = ["LibPlaylist", "LibTrack", "Library", "Query", "ScanReport"]
