"""What the mock answers a SpeechRecognizer.Recognize: one scripted answer per Recognize, in
order, from a queue (``POST /_mock/voice``, scenario ``voice:``), else the default answer.

Every key is checked before anything changes; a mistake is a ValueError naming its path
(``answers[0].speak[1].tone_ms: expected a whole number > 0, got -1``).
"""

from __future__ import annotations

import copy
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]

DEFAULT_TEXT = "Here is your music"
DEFAULT_VOICE = "en"
DEFAULT_STOP_CAPTURE_MS = 1500
DEFAULT_EXPECT_TIMEOUT_MS = 7000
VIAS = ("attachment", "url", "hls")
PLACES = ("after", "before", "missing")
TTS_LANGS = ("en", "ja", "ko", "zh")
_VOICE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,40}")

ANSWER_KEYS = (
    "stop_capture_after_ms",
    "keep_recording_after_ms",
    "recognized_text",
    "speak",
    "then",
    "answer_delay_ms",
    "late",
)
SPEAK_KEYS = (
    "text",
    "tone_ms",
    "voice",
    "lang",
    "pause_before_ms",
    "via",
    "attachment",
    "url_status",
)
EXPECT_KEYS = ("timeout_ms", "explicit")
LATE_KINDS = ("directive", "speak", "play", "expect_speech")
BODY_KEYS = ("answers", "default", "append")


def _unknown(value: Mapping[Any, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} (known: {', '.join(known)})")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected an object, got {value!r}")
    return value


def _whole(value: Any, where: str, *, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{where}: expected a whole number >= {least}, got {value!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise ValueError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


@dataclass(frozen=True)
class SpeakSpec:
    """One SpeechSynthesizer.Speak: spoken ``text`` (espeak-ng ``voice``) or a ``tone_ms`` tone,
    sent as a ``cid:`` attachment (placed ``after`` / ``before`` its directive, or ``missing``),
    or served at a URL of the mock (``url``; ``hls``: a playlist), answering ``url_status``."""

    text: str | None = DEFAULT_TEXT
    tone_ms: int | None = None
    voice: str = DEFAULT_VOICE
    lang: str = "en"
    pause_before_ms: int | None = None
    via: str = "attachment"
    attachment: str = "after"
    url_status: int | None = None

    def to_json(self) -> JsonObject:
        return {k: getattr(self, k) for k in SPEAK_KEYS}


def parse_speak(value: Any, where: str) -> SpeakSpec:
    if isinstance(value, str):
        value = {"text": value}
    raw = _mapping(value, where)
    _unknown(raw, SPEAK_KEYS, where)
    if "text" in raw and "tone_ms" in raw:
        raise ValueError(f"{where}: give text or tone_ms, not both")
    tone = (
        None if raw.get("tone_ms") is None else _whole(raw["tone_ms"], f"{where}.tone_ms", least=1)
    )
    text = None if tone is not None else _text(raw.get("text", DEFAULT_TEXT), f"{where}.text")
    voice = str(raw.get("voice", DEFAULT_VOICE))
    if not _VOICE_NAME.fullmatch(voice):
        raise ValueError(f"{where}.voice: expected an espeak-ng voice name like en, got {voice!r}")
    pause = raw.get("pause_before_ms")
    via = _choice(raw.get("via", "attachment"), VIAS, f"{where}.via")
    place = _choice(raw.get("attachment", "after"), PLACES, f"{where}.attachment")
    if "attachment" in raw and via != "attachment":
        raise ValueError(f"{where}.attachment: only with via attachment")
    status = raw.get("url_status")
    if status is not None:
        if via == "attachment":
            raise ValueError(f"{where}.url_status: only with via url or hls")
        if _whole(status, f"{where}.url_status", least=100) > 599:
            raise ValueError(f"{where}.url_status: expected an HTTP status 100-599, got {status}")
    return SpeakSpec(
        text=text,
        tone_ms=tone,
        voice=voice,
        lang=_choice(raw.get("lang", "en"), TTS_LANGS, f"{where}.lang"),
        pause_before_ms=None if pause is None else _whole(pause, f"{where}.pause_before_ms"),
        via=via,
        attachment=place,
        url_status=status,
    )


@dataclass(frozen=True)
class PlaySpec:
    """AudioPlayer.Play: of the mock's own short track (``url`` None), of ``url``, or a whole
    Play ``payload`` sent as given (``playBehavior`` REPLACE_ALL unless it says otherwise)."""

    url: str | None = None
    payload: JsonObject | None = None

    def to_json(self) -> JsonObject:
        if self.payload is not None:
            return copy.deepcopy(self.payload)
        return {} if self.url is None else {"url": self.url}


def parse_play(value: Any, where: str) -> PlaySpec:
    raw = _mapping({} if value is None or value is True else value, where)
    if "audioItem" in raw:
        item = raw["audioItem"]
        if not isinstance(item, Mapping) or not isinstance(item.get("stream"), Mapping):
            raise ValueError(f"{where}.audioItem: expected an object with a stream object")
        return PlaySpec(payload=copy.deepcopy(dict(raw)))
    _unknown(raw, ("url",), f"{where} (or a Play payload with audioItem)")
    return PlaySpec(url=None if raw.get("url") is None else _text(raw["url"], f"{where}.url"))


@dataclass(frozen=True)
class ExpectSpeechSpec:
    """SpeechRecognizer.ExpectSpeech with a fresh ``expectSpeechId``: a second turn."""

    timeout_ms: int = DEFAULT_EXPECT_TIMEOUT_MS
    explicit: bool = True

    def to_json(self) -> JsonObject:
        return {"timeout_ms": self.timeout_ms, "explicit": self.explicit}


def parse_expect_speech(value: Any, where: str) -> ExpectSpeechSpec:
    raw = _mapping({} if value is None else value, where)
    _unknown(raw, EXPECT_KEYS, where)
    explicit = raw.get("explicit", True)
    if not isinstance(explicit, bool):
        raise ValueError(f"{where}.explicit: expected true or false, got {explicit!r}")
    timeout = _whole(raw.get("timeout_ms", DEFAULT_EXPECT_TIMEOUT_MS), f"{where}.timeout_ms")
    return ExpectSpeechSpec(timeout, explicit)


Then = PlaySpec | ExpectSpeechSpec


def parse_then(value: Any, where: str) -> Then | None:
    if value is None:
        return None
    raw = _mapping(value, where)
    _unknown(raw, ("play", "expect_speech"), where)
    if len(raw) != 1:
        raise ValueError(f"{where}: expected one of play, expect_speech (or null)")
    if "play" in raw:
        return parse_play(raw["play"], f"{where}.play")
    return parse_expect_speech(raw["expect_speech"], f"{where}.expect_speech")


def then_json(then: Then | None) -> JsonObject | None:
    if then is None:
        return None
    return {"play" if isinstance(then, PlaySpec) else "expect_speech": then.to_json()}


@dataclass(frozen=True)
class LateSpec:
    """A directive of the dialog pushed on the downchannel ``after_ms`` after the answer."""

    after_ms: int
    kind: str
    """One of LATE_KINDS."""
    spec: JsonObject | SpeakSpec | PlaySpec | ExpectSpeechSpec

    def to_json(self) -> JsonObject:
        body = self.spec if isinstance(self.spec, dict) else self.spec.to_json()
        return {"after_ms": self.after_ms, self.kind: copy.deepcopy(body)}


def parse_late(value: Any, where: str) -> LateSpec:
    raw = _mapping(value, where)
    _unknown(raw, ("after_ms", *LATE_KINDS), where)
    kinds = [k for k in LATE_KINDS if k in raw]
    if len(kinds) != 1:
        raise ValueError(f"{where}: expected after_ms and one of {', '.join(LATE_KINDS)}")
    kind = kinds[0]
    after = _whole(raw.get("after_ms"), f"{where}.after_ms")
    spec: JsonObject | SpeakSpec | PlaySpec | ExpectSpeechSpec
    if kind == "directive":
        directive = _mapping(raw[kind], f"{where}.directive")
        header = _mapping(
            _mapping(directive.get("directive"), f"{where}.directive.directive").get("header"),
            f"{where}.directive.directive.header",
        )
        _text(header.get("namespace"), f"{where}.directive.directive.header.namespace")
        _text(header.get("name"), f"{where}.directive.directive.header.name")
        spec = copy.deepcopy(dict(directive))
    elif kind == "speak":
        spec = parse_speak(raw[kind], f"{where}.speak")
    elif kind == "play":
        spec = parse_play(raw[kind], f"{where}.play")
    else:
        spec = parse_expect_speech(raw[kind], f"{where}.expect_speech")
    return LateSpec(after, kind, spec)


def _optional_ms(raw: Mapping[str, Any], key: str, default: int | None, where: str) -> int | None:
    value = raw.get(key, default)
    return None if value is None else _whole(value, f"{where}.{key}")


@dataclass(frozen=True)
class VoiceAnswer:
    """One scripted answer to a Recognize; every key left out takes the default's value."""

    stop_capture_after_ms: int | None = DEFAULT_STOP_CAPTURE_MS
    """Audio (ms of 16 kHz 16-bit mono) after which StopCapture goes out; None: never."""
    keep_recording_after_ms: int | None = None
    recognized_text: str | None = None
    speak: tuple[SpeakSpec, ...] = (SpeakSpec(),)
    then: Then | None = field(default_factory=PlaySpec)
    answer_delay_ms: int = 0
    late: tuple[LateSpec, ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "stop_capture_after_ms": self.stop_capture_after_ms,
            "keep_recording_after_ms": self.keep_recording_after_ms,
            "recognized_text": self.recognized_text,
            "speak": [s.to_json() for s in self.speak],
            "then": then_json(self.then),
            "answer_delay_ms": self.answer_delay_ms,
            "late": [item.to_json() for item in self.late],
        }


def parse_answer(value: Any, where: str = "answer") -> VoiceAnswer:
    raw = _mapping({} if value is None else value, where)
    _unknown(raw, ANSWER_KEYS, where)
    text = raw.get("recognized_text")
    speak = raw.get("speak", [{}])
    if isinstance(speak, str | Mapping):
        speak = [speak]
    if not isinstance(speak, list):
        raise ValueError(f"{where}.speak: expected a list of Speak entries, got {speak!r}")
    late = raw.get("late") or []
    if not isinstance(late, list):
        raise ValueError(f"{where}.late: expected a list, got {late!r}")
    return VoiceAnswer(
        stop_capture_after_ms=_optional_ms(
            raw, "stop_capture_after_ms", DEFAULT_STOP_CAPTURE_MS, where
        ),
        keep_recording_after_ms=_optional_ms(raw, "keep_recording_after_ms", None, where),
        recognized_text=None if text is None else _text(text, f"{where}.recognized_text"),
        speak=tuple(parse_speak(s, f"{where}.speak[{i}]") for i, s in enumerate(speak)),
        then=parse_then(raw["then"], f"{where}.then") if "then" in raw else PlaySpec(),
        answer_delay_ms=_whole(raw.get("answer_delay_ms", 0), f"{where}.answer_delay_ms"),
        late=tuple(parse_late(item, f"{where}.late[{i}]") for i, item in enumerate(late)),
    )


@dataclass(frozen=True)
class VoiceBody:
    """A checked ``POST /_mock/voice`` body."""

    answers: tuple[VoiceAnswer, ...] | None
    default: VoiceAnswer | None
    set_default: bool
    append: bool


def parse_voice_body(value: Any) -> VoiceBody:
    """``{"answers": [...], "default": {...} | null, "append": bool}``; ValueError names the
    mistake."""
    raw = _mapping(value, "voice")
    _unknown(raw, BODY_KEYS, "voice")
    answers = raw.get("answers")
    if answers is not None and not isinstance(answers, list):
        raise ValueError(f"answers: expected a list of answers, got {answers!r}")
    append = raw.get("append", False)
    if not isinstance(append, bool):
        raise ValueError(f"append: expected true or false, got {append!r}")
    return VoiceBody(
        answers=None
        if answers is None
        else tuple(parse_answer(a, f"answers[{i}]") for i, a in enumerate(answers)),
        default=parse_answer(raw["default"], "default") if raw.get("default") else None,
        set_default="default" in raw,
        append=append,
    )


class VoiceScript:
    """The queue of scripted answers (for every device, in order) and the default answer."""

    def __init__(self) -> None:
        self.queue: deque[VoiceAnswer] = deque()
        self.default = VoiceAnswer()

    def update(self, body: Any) -> None:
        """Apply a ``POST /_mock/voice`` body: ``answers`` replace the queue (``append``: go
        behind it); ``default`` replaces the default answer (null or {}: the built-in one)."""
        checked = parse_voice_body(body)
        if checked.answers is not None:
            if not checked.append:
                self.queue.clear()
            self.queue.extend(checked.answers)
        if checked.set_default:
            self.default = checked.default or VoiceAnswer()

    def take(self) -> tuple[VoiceAnswer, bool]:
        """The next answer and whether it came from the queue (else: the default)."""
        if self.queue:
            return self.queue.popleft(), True
        return self.default, False

    def put_back(self, answer: VoiceAnswer) -> None:
        """A Recognize that took ``answer`` was refused or abandoned: the next one gets it."""
        self.queue.appendleft(answer)

    def clear(self) -> None:
        self.queue.clear()
        self.default = VoiceAnswer()

    def to_json(self) -> JsonObject:
        return {
            "queued": [a.to_json() for a in self.queue],
            "default": self.default.to_json(),
        }
