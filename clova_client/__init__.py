"""clova-client: a headless audio client daemon for a Clova (CIC) voice-assistant speaker."""

__version__ = "0.1.0"
