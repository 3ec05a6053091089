"""The owner's music library behind the MediaPlayer interface: scanned with mutagen, indexed
in SQLite FTS5, with likes and play history."""

from .library import Library
from .models import LibraryPlaylist, LibrarySong, Query, ScanReport

__all__ = ["Library", "LibraryPlaylist", "LibrarySong", "Query", "ScanReport"]
