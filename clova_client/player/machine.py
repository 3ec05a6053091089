"""The AudioPlayer state machine, as the engine uses it.

Every method runs as one job of the engine's ``SerialRunner`` (never two at once), so a job may
await the backend without another one seeing its state half changed. The machine speaks no wire
protocol: it issues typed notices (``notices.py``) and listeners turn them into events.

It is built in layers, each on the one before:

- ``core.py``: the state (activity, queue, current and shown attempt), the read-only queries,
  ``_transition`` (the one place the reported state changes) and ``notify``;
- ``lifecycle.py``: an attempt from start to end (opened, sounding, crossing media positions,
  finished or given up on after a timeout) and moving between items;
- ``commands.py``: what the engine asks (play, pause, seek, restore, ...);
- ``reactions.py``: what each backend event does.

One attempt (``attempt.py``) is one try at playing one queue item; its timers are in
``timers.py``.
"""

from __future__ import annotations

from .commands import Commands
from .core import AttemptStatus
from .reactions import BackendReactions

__all__ = ["AttemptStatus", "PlayerMachine"]


class PlayerMachine(Commands, BackendReactions):
    """The commands and the backend reactions over one shared core."""
