"""The daemon's own room: ``app.py`` the composition root, ``runtime.py`` its life, ``systemd.py``
sd_notify, ``housekeeping.py`` memory, ``saved_state.py`` / ``state_file.py`` / ``state_slots.py``
the player state across restarts, ``recent_errors.py`` what ``status`` shows of the log."""
