"""Settings: the documented file, environment overrides, and one-line errors naming the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from clova_client import __version__
from clova_client.config import ConfigError, Settings, check_files, load_settings

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED = REPO / "config" / "clova-client.toml"
MOCK = REPO / "config" / "mock.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def dotted_fields(model: type[BaseModel], prefix: str = "") -> dict[str, object]:
    """Every leaf setting as ``section.key`` -> its default."""
    out: dict[str, object] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out |= dotted_fields(annotation, f"{prefix}{name}.")
        else:
            out[prefix + name] = field.default
    return out


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.state_dir == Path("/var/lib/clova-client")
    assert settings.control_dir == Path("/run/clova-client")
    assert settings.cic.base_url == "https://prod-ni-cic.clova.ai"
    assert settings.cic.ping_interval_s == 60 and settings.cic.ping_timeout_s == 10
    assert settings.auth.access_token_file == Path("/var/lib/clova-client/access_token")
    assert settings.player.audio_output == "auto" and settings.player.volume == 80
    assert settings.outbox.max_events == 1000
    assert (settings.log.format, settings.log.level) == ("auto", "info")
    assert settings.systemd.ready_grace_s == 20 and settings.systemd.watchdog is True
    assert settings.library.paths == []


def test_documented_file_equals_the_defaults() -> None:
    assert load_settings(DOCUMENTED) == load_settings(None)


def test_documented_file_names_every_setting() -> None:
    text = DOCUMENTED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    # Settings without a TOML form (default None) must appear as a commented-out line in their
    # section; all others as real keys.
    sections = re.split(r"(?m)^\[(\w+)\]\s*$", text)
    section_text = {"": sections[0]} | dict(zip(sections[1::2], sections[2::2], strict=True))
    for dotted, default in dotted_fields(Settings).items():
        *section, key = dotted.split(".")
        if default is None:
            body = section_text[section[0] if section else ""]
            assert re.search(rf"(?m)^# {key} = ", body), f"{dotted} is not documented"
        else:
            table = data[section[0]] if section else data
            assert key in table, f"{dotted} is not documented"
    assert set(data) == set(Settings.model_fields)


def test_mock_config_points_at_the_local_mock() -> None:
    settings = load_settings(MOCK)
    assert settings.cic.base_url == "https://127.0.0.1:8765"
    assert settings.player.audio_output == "null"
    assert not settings.state_dir.is_absolute()
    assert settings.auth.access_token_file == settings.state_dir / "access_token"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path,
        '[player]\naudio_output = "alsa"\nvolume = 55\n[cic]\nbase_url = "https://a.example"\n',
    )
    monkeypatch.setenv("CLOVA_PLAYER__AUDIO_OUTPUT", "null")
    monkeypatch.setenv("CLOVA_CIC__BASE_URL", "http://127.0.0.1:8765/")
    monkeypatch.setenv("CLOVA_AUTH__ACCESS_TOKEN_FILE", "/tmp/qa/token")
    monkeypatch.setenv("CLOVA_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CLOVA_LIBRARY__PATHS", '["/srv/music", "/media/usb"]')
    monkeypatch.setenv("CLOVA_LOG__LEVEL", "DEBUG")
    settings = load_settings(path)
    assert settings.player.audio_output == "null"
    assert settings.player.volume == 55  # the rest of the section still comes from the file
    assert settings.cic.base_url == "http://127.0.0.1:8765"
    assert settings.auth.access_token_file == Path("/tmp/qa/token")
    assert settings.state_dir == tmp_path / "state"
    assert settings.library.paths == [Path("/srv/music"), Path("/media/usb")]
    assert settings.log.level == "debug"


def test_relative_auth_files_follow_state_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOVA_STATE_DIR", "/srv/clova")
    monkeypatch.setenv("CLOVA_AUTH__CLIENT_SECRET_FILE", "secret")
    monkeypatch.setenv("CLOVA_RUNTIME_DIR", "/run/clova-client")
    settings = load_settings(None)
    assert settings.auth.access_token_file == Path("/srv/clova/access_token")
    assert settings.auth.client_secret_file == Path("/srv/clova/secret")
    assert settings.control_dir == Path("/run/clova-client")


def test_user_agent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[device]\nmaker = "Maker"\nproduct = "Product"\nversion = "1.2.3"\nos_name = "OS"\n'
        'os_version = "1.0"\nhardware = "Hardware"\nextras = { key = "value" }\n',
    )
    agent = load_settings(path).device.user_agent
    assert str(agent) == "Maker/Product/1.2.3 (OS 1.0;Hardware;key=value)"
    detected = str(load_settings(None).device.user_agent)
    assert re.fullmatch(rf"clova-client/speaker/{re.escape(__version__)} \(\S+ \S+;\S+\)", detected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[player]\naudio_output = "hdmi"\n',
            "config: player.audio_output = 'hdmi' is not allowed "
            "(allowed: auto, alsa, pulse, null) [{path}]",
        ),
        (
            '[player]\naudio_ouput = "alsa"\n',
            "config: unknown key 'player.audio_ouput' "
            "(did you mean 'player.audio_output'?) [{path}]",
        ),
        ("[plyer]\nvolume = 3\n", "config: unknown key 'plyer' (did you mean 'player'?) [{path}]"),
        (
            "[player]\nopen_timeout_s = -1\n",
            "config: player.open_timeout_s = -1 is not allowed (must be > 0) [{path}]",
        ),
        (
            "[player]\nvolume = 101\n",
            "config: player.volume = 101 is not allowed (must be <= 100) [{path}]",
        ),
        (
            '[cic]\nping_interval_s = "soon"\n',
            "config: cic.ping_interval_s = 'soon' is invalid: "
            "Input should be a valid number, unable to parse string as a number [{path}]",
        ),
        (
            '[cic]\nbase_url = "ftp://cic"\n',
            "config: cic.base_url = 'ftp://cic' is invalid: "
            "must be an http:// or https:// URL with a host [{path}]",
        ),
        (
            "[library]\npaths = [3]\n",
            "config: library.paths[0] = 3 is invalid: "
            "Input is not a valid path for <class 'pathlib.Path'> [{path}]",
        ),
        (
            '[device]\nversion = "1.2"\n',
            "config: device is invalid: User-Agent part version is invalid: '1.2' "
            "(allowed: MAJOR.MINOR.PATCH, e.g. 1.2.3) [{path}]",
        ),
        (
            "[player\nvolume = 3\n",
            "config: TOML syntax error: Expected ']' at the end of a table declaration "
            "(at line 1, column 8) [{path}]",
        ),
        (
            "[player]\nvolume = 1\nvolume = 2\n",
            "config: TOML syntax error: Cannot overwrite a value (at line 3, column 11) [{path}]",
        ),
    ],
)
def test_errors_are_one_line_naming_key_value_and_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == message.format(path=path)
    assert "\n" not in str(caught.value)


def test_error_counts_further_problems_and_keeps_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[player]\naudio_output = "hdmi"\nvolume = -3\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key == "player.audio_output"
    assert str(caught.value).endswith(f"[{path}] (+1 more)")


def test_error_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOVA_PLAYER__AUDIO_OUTPUT", "hdmi")
    with pytest.raises(ConfigError, match=r"\[env CLOVA_PLAYER__AUDIO_OUTPUT\]$"):
        load_settings(None)
    monkeypatch.delenv("CLOVA_PLAYER__AUDIO_OUTPUT")
    monkeypatch.setenv("CLOVA_PLAYER__AUDIO_OUPUT", "null")
    with pytest.raises(ConfigError, match=r"unknown key 'player.audio_ouput'"):
        load_settings(None)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^config: file not found: .*nope\.toml$"):
        load_settings(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"state_dir = '\xff'\n")
    with pytest.raises(ConfigError, match=r"^config: not UTF-8 text: "):
        load_settings(binary)


@pytest.mark.parametrize("device", ["hw:CARD=sndrpihifiberry,DEV=0", "default", "plughw:1,0", ""])
def test_alsa_device_names(monkeypatch: pytest.MonkeyPatch, device: str) -> None:
    monkeypatch.setenv("CLOVA_PLAYER__ALSA_DEVICE", device)
    assert load_settings(None).player.alsa_device == device


def test_alsa_device_rejects_what_is_no_device_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOVA_PLAYER__ALSA_DEVICE", "hw:0 ; rm -rf /")
    with pytest.raises(ConfigError, match=r"player\.alsa_device"):
        load_settings(None)


def test_files_the_daemon_reads_at_start_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, f'state_dir = "{tmp_path}"\n[auth]\nclient_secret_file = "secret"\n')
    settings = load_settings(path)
    with pytest.raises(ConfigError) as caught:
        check_files(settings, path)
    assert caught.value.key == "auth.client_secret_file"
    assert str(caught.value) == (
        f"config: auth.client_secret_file = '{tmp_path / 'secret'}' cannot be read: "
        f"No such file or directory [{path}]"
    )
    (tmp_path / "secret").write_text("s3cret\n")
    check_files(settings, path)  # readable: no error


def test_alsa_device_rejects_a_trailing_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pattern runs on Python's ``re`` (a Rust regex of ``\\w`` cost 0.7 MiB of RSS), where
    ``$`` would match before a final newline: it ends in ``\\Z``."""
    monkeypatch.setenv("CLOVA_PLAYER__ALSA_DEVICE", "hw:0\n")
    with pytest.raises(ConfigError, match=r"player\.alsa_device"):
        load_settings(None)
