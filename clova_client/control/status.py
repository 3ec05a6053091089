"""The status document the daemon answers ``{"cmd": "status"}`` with, and a press result.

Plain JSON types only. Times are Unix epoch seconds; the renderer shows them in local time.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ConnectionInfo(TypedDict):
    state: str
    """A ``ConnectionState`` name or value: CONNECTED, CONNECTING, BACKING_OFF, ..."""
    since: float | None
    """When the connection entered ``state``."""
    retry_in_s: float | None
    """BACKING_OFF / AUTH_FAILED: seconds until the next attempt; else None."""
    last_error: str | None
    """The last connection failure, one line (kept after a reconnect)."""
    http_version: NotRequired[str | None]
    """What the CIC server answered the downchannel with (``HTTP/2``); None before."""


class TrackInfo(TypedDict):
    token: str
    title: str | None
    artist: str | None


class CurrentItem(TrackInfo):
    position_ms: int | None
    duration_ms: int | None
    source: NotRequired[str]
    """``AudioPlayer`` or ``MediaPlayer`` (the owner's library)."""
    album: NotRequired[str | None]
    art_url: NotRequired[str | None]
    lyrics: NotRequired[str | None]
    """The lyrics text, or where they are (a URL)."""
    provider: NotRequired[str | None]
    """Who provides the item: RenderPlayerInfo's provider name, or ``library``."""


class PlayerInfo(TypedDict):
    state: str
    """The reported ``PlayerActivity``: IDLE, PLAYING, PAUSED, STOPPED."""
    current: CurrentItem | None
    """The item the PlaybackState context describes."""
    queue: list[TrackInfo]
    """The items after ``current``, next first."""
    volume: int
    muted: bool
    repeat: str
    """``RepeatMode``: NONE or REPEAT_ONE (MediaPlayer: NONE, ONE or ALL)."""
    shuffle: NotRequired[bool]
    last_failure: NotRequired[FailureInfo | None]
    """The last item the player gave up on, and why."""


class FailureInfo(TypedDict):
    token: str
    reason: str
    """The cause a technician can act on: ``HTTP 404 from the media server``, ..."""
    at: float
    past: bool
    """True once an item played after it (recovered)."""


class LibraryInfo(TypedDict):
    paths: int
    """Configured directories (0: no library, MediaPlayer is NOT_RUNNING)."""
    tracks: int
    playlists: int
    scanning: bool


class OutboxInfo(TypedDict):
    pending: int
    """Events accepted but not yet delivered to CIC."""
    disk: NotRequired[str]
    """``ok``, or why pending events are kept in memory only: ``full``, ``read-only``, ``error``
    (the state directory cannot be written; they go to disk when it can be again)."""
    in_memory: NotRequired[int]
    """Pending events not on disk: those CIC is about to take (held up to 1 s), and every
    one while ``disk`` is not ``ok``."""


class ErrorInfo(TypedDict):
    at: float
    source: str
    """Which part failed: cic, auth, player, ..."""
    message: str
    past: NotRequired[bool]
    """True once the part recovered after it (connected again, an item played since)."""


class VoiceInfo(TypedDict):
    focus: list[str]
    """Who holds the dialog's audio focus: listening, speech, expecting (empty: none)."""
    content: str
    """What the music does now: normal, ducked, paused (by the focus)."""
    recognizing: str | None
    """The dialogRequestId of the recognition whose audio streams or awaits its answer."""
    expecting: str | None
    """The expectSpeechId of an ExpectSpeech waiting for an answer."""
    speech: dict[str, str] | None
    """The SpeechState payload (token, playerActivity); None before the first Speak."""


class StatusDocument(TypedDict):
    version: str
    pid: int
    started_at: float
    connection: ConnectionInfo
    player: PlayerInfo
    outbox: OutboxInfo
    library: NotRequired[LibraryInfo]
    voice: NotRequired[VoiceInfo]
    errors: list[ErrorInfo]
    """The most recent errors, oldest first (the daemon keeps a handful)."""


class PressResult(TypedDict):
    event: str
    """The full event name: ``PlaybackController.PauseCommandIssued``."""
    message_id: str
    delivered: NotRequired[bool]
    """False: not delivered within ``button_ttl_s``, so dropped (never sent late)."""
    note: NotRequired[str]
    """Anything the user should know, e.g. why it was dropped."""
