"""VlcBackend: the PlayerBackend on libVLC (python-vlc). The only package that imports ``vlc``.

Modules (numbers are measurements on libVLC 3.0.24; see docs/PERFORMANCE.md):

* ``backend`` -- ``VlcBackend``: two slots (the current source and the pre-rolled next one),
  the PlayerBackend calls, one worker thread for every blocking libVLC call.
* ``source`` -- ``VlcSource``: one source as the loop sees it: turns its libVLC events
  (``VlcEventKind``) into BackendEvents and ends its pre-roll.
* ``libvlc`` -- ``LibVlcPlayer``: the libVLC media and player of one source, and the callbacks
  that copy their events to the loop; ``SparePlayer``: the next one, made ahead.
* ``output`` -- the output choice and the ``null`` output paced to real time.
* ``memory`` -- ``cid:`` data played from memory.
* ``worker`` -- the one thread every blocking libVLC call runs on, in order.

Design:

* **One libVLC media player per source.** Its event callbacks are bound to that source when it
  is created, so an event can only ever be tagged with the source_id of the media it belongs
  to: a late callback of an old media carries the old source, which the loop then drops because
  the source is no longer current.
* **Callbacks only copy and hand over** (``call_soon_threadsafe``). No libVLC call happens in a
  callback (``stop()`` there deadlocks); blocking calls run on the backend's one worker thread.
* **Fast, exact start ("pre-roll").** Every media opens with ``:start-paused``: libVLC opens the
  stream, probes it and buffers, then parks in Paused *without starting the audio output*. As soon
  as it is paused and buffered, the loop unpauses it; libVLC then reports Playing and a
  TimeChanged (the start position) within ~1-2 ms, with the first PCM ~1 ms later. A plain
  ``play()`` has PCM flowing after ~5-10 ms too, but reports its first TimeChanged only ~265 ms
  later, on its statistics tick; so TIME comes both earlier and closer to the real sound. (When
  the stream is not buffered at the unpause, e.g. a slow server, libVLC sends no early
  TimeChanged: the first TIME then comes after sound, as with ``play()``.)
"""

from .backend import PREPARED_MAX_AGE_S, PREROLL_LEAD_S, VlcBackend
from .libvlc import LibVlcPlayer, VlcEventKind
from .output import NULL_CHANNELS, NULL_RATE, QUIET_ARGS, Output, pulse_available, resolve_output
from .source import ERROR_NO_AUDIO, ERROR_OPEN, VlcSource

__all__ = [
    "ERROR_NO_AUDIO",
    "ERROR_OPEN",
    "NULL_CHANNELS",
    "NULL_RATE",
    "PREPARED_MAX_AGE_S",
    "PREROLL_LEAD_S",
    "QUIET_ARGS",
    "LibVlcPlayer",
    "Output",
    "VlcBackend",
    "VlcEventKind",
    "VlcSource",
    "pulse_available",
    "resolve_output",
]
