"""SpeechRecognizer and SpeechSynthesizer: the voice dialog's messages (Clova client guide,
``SpeechRecognizer.md``, ``SpeechSynthesizer.md``, ``SpeechState.md``).

In: ExpectSpeech, KeepRecording, StopCapture, ShowRecognizedText, Speak. Out: Recognize (its
audio goes as a second multipart part, streamed) and SpeechStarted / SpeechFinished /
SpeechStopped, with the ``SpeechSynthesizer.SpeechState`` context.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from .base import DEFERRED, InModel, JsonObject, OutModel, context_item

RECOGNIZER = "SpeechRecognizer"
SYNTHESIZER = "SpeechSynthesizer"

AUDIO_FORMAT: Final = "AUDIO_L16_RATE_16000_CHANNELS_1"
"""The one format Recognize carries: 16 kHz, 16-bit, mono, little-endian PCM."""
SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
HLS_CONTENT_TYPE = "application/vnd.apple.mpegurl"
MAX_URL_BYTES = 2048


# --- SpeechRecognizer ------------------------------------------------------------------------


class ExpectSpeechPayload(InModel):
    """CIC wants another utterance in the same dialog, within ``timeoutInMilliseconds``."""

    model_config = DEFERRED

    expect_speech_id: StrictStr = Field(min_length=1)
    explicit: StrictBool
    timeout_in_milliseconds: StrictInt = Field(ge=0)
    expect_content_type: StrictStr | None = None


class StopCapturePayload(InModel):
    """CIC has heard enough: the microphone closes (``recognizedText`` only on request)."""

    model_config = DEFERRED

    recognized_text: StrictStr | None = None


class ShowRecognizedTextPayload(InModel):
    model_config = DEFERRED

    text: StrictStr


class EmptyPayload(InModel):
    """KeepRecording: no fields."""

    model_config = DEFERRED


class WakeWordIndices(OutModel):
    model_config = DEFERRED

    start_index_in_samples: int = Field(ge=0)
    end_index_in_samples: int = Field(ge=1)


class WakeWord(OutModel):
    model_config = DEFERRED

    name: str | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    indices: WakeWordIndices


class InitiatorPayload(OutModel):
    model_config = DEFERRED

    device_uuid: str = Field(alias="deviceUUID", min_length=1)
    wake_word: WakeWord | None = None


class Initiator(OutModel):
    """How the user called Clova: the local voice component says it."""

    model_config = DEFERRED

    type: Literal["PRESS_AND_HOLD", "TAP", "WAKEWORD"]
    input_source: str = Field(pattern=r"^(SELF|CUSTOM_[A-Za-z0-9_-]+)\Z")
    payload: InitiatorPayload | None = None


def initiator_of(given: Mapping[str, Any], device_uuid: str | None) -> Initiator:
    """Recognize's ``initiator`` from the local client's (its ``wakeWord`` at the top or in
    its ``payload``), with the speaker's ``deviceUUID`` where it gave none. ValidationError
    when it is not one the guide allows."""
    initiator: dict[str, Any] = {k: v for k, v in given.items() if k != "wakeWord"}
    payload = dict(given.get("payload") or {})
    if "wakeWord" in given:
        payload["wakeWord"] = given["wakeWord"]
    if device_uuid is not None:
        payload.setdefault("deviceUUID", device_uuid)
    if payload:
        initiator["payload"] = payload
    return Initiator.model_validate(initiator)


class RecognizePayload(OutModel):
    """SpeechRecognizer.Recognize as the client sends it."""

    model_config = DEFERRED

    lang: Literal["ko", "en", "ja"] = "ko"
    profile: Literal["CLOSE_TALK"] = "CLOSE_TALK"
    format: Literal["AUDIO_L16_RATE_16000_CHANNELS_1"] = AUDIO_FORMAT
    initiator: Initiator | None = None
    speech_id: str | None = None
    explicit: bool | None = None


class InitiatorIn(InModel):
    model_config = DEFERRED

    type: Literal["PRESS_AND_HOLD", "TAP", "WAKEWORD"]
    input_source: StrictStr = Field(pattern=r"^(SELF|CUSTOM_.+)\Z")


class RecognizeIn(InModel):
    """Recognize as a server reads it: ``lang`` required (the guide's table), the rest
    optional; an initiator, when present, has its required fields."""

    model_config = DEFERRED

    lang: Literal["ko", "en", "ja"]
    profile: StrictStr | None = None
    format: Literal["AUDIO_L16_RATE_16000_CHANNELS_1"] | None = None
    initiator: InitiatorIn | None = None
    speech_id: StrictStr | None = None
    explicit: StrictBool | None = None


# --- SpeechSynthesizer -----------------------------------------------------------------------


class SpeakPayload(InModel):
    """TTS to play: ``url`` is ``cid:<Content-ID>`` (an attachment) or a URL (HLS when
    ``contentType`` says so); ``x-clova-pause-before`` ms of silence first."""

    model_config = DEFERRED

    format: StrictStr
    token: StrictStr = Field(min_length=1, max_length=MAX_URL_BYTES)
    url: StrictStr = Field(min_length=1, max_length=MAX_URL_BYTES)
    content_type: StrictStr | None = None
    tts_lang: StrictStr | None = None
    pause_before_ms: StrictInt = Field(default=0, ge=0, alias="x-clova-pause-before")

    @property
    def content_id(self) -> str | None:
        """The attachment's Content-ID for a ``cid:`` url (None for a URL)."""
        return self.url[4:].strip("<>") if self.url.startswith("cid:") else None

    @property
    def is_hls(self) -> bool:
        return self.content_type == HLS_CONTENT_TYPE


class SpeechActivity(StrEnum):
    """``SpeechState.playerActivity``."""

    PLAYING = "PLAYING"
    STOPPED = "STOPPED"
    FINISHED = "FINISHED"


class SpeechTokenPayload(OutModel):
    """SpeechStarted / SpeechFinished / SpeechStopped: the Speak's token."""

    model_config = DEFERRED

    token: str


class SpeechTokenIn(InModel):
    model_config = DEFERRED

    token: StrictStr = Field(min_length=1)


class SpeechState(OutModel):
    """The SpeechSynthesizer.SpeechState context."""

    model_config = DEFERRED

    token: str
    player_activity: SpeechActivity

    def context(self) -> JsonObject:
        return context_item(SYNTHESIZER, "SpeechState", self.to_json())


class SpeechStateIn(InModel):
    model_config = DEFERRED

    token: StrictStr
    player_activity: Literal["PLAYING", "STOPPED", "FINISHED"]


SPEECH_EVENT_NAMES = ("SpeechStarted", "SpeechFinished", "SpeechStopped")

RECOGNIZER_DIRECTIVES: dict[str, type[InModel]] = {
    "ExpectSpeech": ExpectSpeechPayload,
    "KeepRecording": EmptyPayload,
    "StopCapture": StopCapturePayload,
    "ShowRecognizedText": ShowRecognizedTextPayload,
}
SYNTHESIZER_DIRECTIVES: dict[str, type[InModel]] = {"Speak": SpeakPayload}
