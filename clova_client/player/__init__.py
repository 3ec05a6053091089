"""The playback engine: queue, state machine, progress reports and the media backends."""
