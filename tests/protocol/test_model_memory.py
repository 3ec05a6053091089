"""What the models keep in an idle daemon (issue 20, point 8): rarely used messages build their
validators at their first use, AudioPlayer's at import; no pattern compiles a Rust regex."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel, ValidationError

from clova_client.protocol import audioplayer, mediaplayer, speech, template_runtime
from clova_client.protocol.registry import DIRECTIVES

PROBE = """
import json
import clova_client.daemon.app  # what the daemon imports
from clova_client.protocol.registry import DIRECTIVES
print(json.dumps({f"{ns}.{name}": m.__pydantic_complete__ for (ns, name), m in DIRECTIVES.items()}))
"""

AT_IMPORT = ("AudioPlayer.", "PlaybackController.", "System.", "Clova.")
"""Built at import: the first Play (or Stop, Next...) must not build its schema on its way."""
AT_FIRST_USE = ("SpeechRecognizer.", "SpeechSynthesizer.", "MediaPlayer.", "TemplateRuntime.")


def built_in_a_fresh_daemon() -> dict[str, bool]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    built: dict[str, bool] = json.loads(out)
    return built


def test_only_the_rare_directives_wait_for_their_first_use() -> None:
    built = built_in_a_fresh_daemon()
    assert {n for n in built if n.startswith(AT_IMPORT)} == {n for n, b in built.items() if b}
    rare = [n for n in built if n.startswith(AT_FIRST_USE)]
    assert "SpeechSynthesizer.Speak" in rare and "MediaPlayer.Play" in rare
    assert not any(built[n] for n in rare)


def test_a_deferred_model_validates_at_its_first_use() -> None:
    payload = {"format": "AUDIO_MPEG", "url": "cid:tts-1", "token": "tok"}
    speak = speech.SpeakPayload.model_validate(payload)
    assert speak.token == "tok" and speech.SpeakPayload.__pydantic_complete__
    with pytest.raises(ValidationError):
        speech.ExpectSpeechPayload.model_validate({"explicit": True})
    info = template_runtime.RenderPlayerInfoPayload.model_validate(
        {"playableItems": [{"token": "t1", "titleText": "A song"}], "extra": 1}
    )
    assert info.item_for("t1") is not None and info.to_json()["extra"] == 1
    play = mediaplayer.MediaPlayPayload.model_validate({"token": "m", "playServiceId": "s"})
    assert play.play_service_id == "s"


def models() -> list[type[BaseModel]]:
    import clova_client.config  # noqa: F401  # its sections too

    def below(cls: type[BaseModel]) -> list[type[BaseModel]]:
        return [m for s in cls.__subclasses__() for m in (s, *below(s))]

    found = {m for m in below(BaseModel) if m.__module__.startswith("clova_client.")}
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


def test_no_pattern_compiles_a_rust_regex() -> None:
    """pydantic-core's Rust regex costs ~0.3-0.7 MiB of RSS per pattern (Unicode classes);
    Python's ``re`` a few KiB."""
    engines = []
    for model in models():
        if not model.__pydantic_complete__:
            model.model_rebuild()
        text = repr(model.__pydantic_validator__)
        assert "RustRegex" not in text, model
        engines += ["python"] * text.count("PythonRe")
    assert len(engines) >= 3  # alsa_device, Initiator (and InitiatorIn)


@pytest.mark.parametrize("source", ["SELF\n", "CUSTOM_a\n", "MIC"])
def test_input_source_rejects_a_trailing_newline(source: str) -> None:
    """Python's ``$`` would match before a final newline: the patterns end in ``\\Z``."""
    with pytest.raises(ValidationError):
        speech.Initiator(type="TAP", input_source=source)
    assert speech.Initiator(type="TAP", input_source="CUSTOM_a").input_source == "CUSTOM_a"


def test_audioplayer_play_is_built_at_import_in_this_process_too() -> None:
    assert audioplayer.PlayPayload.__pydantic_complete__
    assert DIRECTIVES[("AudioPlayer", "Play")] is audioplayer.PlayPayload
