"""``clova-client`` run as a real process: status, press, check-config, run (config errors)."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clova_client.control import Button

from .conftest import ServerThread, StubHandler, sample_status

CLI = Path(sys.executable).with_name("clova-client")
ALLOWED = "(allowed: auto, alsa, pulse, null)"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


@pytest.fixture
def config(tmp_path: Path, control_dir: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'runtime_dir = "{control_dir}"\n'
        '[cic]\nbase_url = "http://127.0.0.1:8080/"\n'
        '[player]\naudio_output = "null"\n'
    )
    return path


def test_status_human(sock_path: Path, handler: StubHandler, clean_env: dict[str, str]) -> None:
    now = time.time()
    handler.document = sample_status(base=now - 120)
    with ServerThread(sock_path, handler):
        done = cli(clean_env, "status", "--socket", str(sock_path))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    since = time.strftime("%H:%M:%S", time.localtime(now - 120 + 63))
    assert lines[0].startswith("clova-client 0.1.0 (pid 4242), up ")
    assert lines[1].startswith("connection:  CONNECTED since ") and lines[1].endswith(since)
    assert lines[3:][:7] == [
        "player:      PLAYING",
        "  item:      tok-1  봄날 - BTS  01:23/04:56",
        "  volume:    80 (muted)",
        "  repeat:    REPEAT_ONE",
        "queue:       2 items",
        "  1. tok-2  Second - Artist 2",
        "  2. tok-3",
    ]
    assert "outbox:      3 events pending" in lines
    assert lines[-1].endswith("  player: open timed out after 10 s")


def test_status_json_via_config(
    served: ServerThread, config: Path, clean_env: dict[str, str]
) -> None:
    done = cli(clean_env, "status", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == sample_status()


def test_status_config_from_environment(
    served: ServerThread, config: Path, clean_env: dict[str, str]
) -> None:
    done = cli(clean_env | {"CLOVA_CONFIG": str(config)}, "status", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pid"] == 4242


def test_press(served: ServerThread, handler: StubHandler, clean_env: dict[str, str]) -> None:
    done = cli(clean_env, "press", "pause", "--socket", str(served.server.path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent PlaybackController.PauseCommandIssued (messageId m-1)\n"
    assert handler.pressed == [Button.PAUSE]


def test_press_play_token_and_custom_name(
    served: ServerThread, handler: StubHandler, clean_env: dict[str, str]
) -> None:
    sock = str(served.server.path)
    done = cli(clean_env, "press", "play", "--token", "TR-7", "--socket", sock)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent PlaybackController.PlayCommandIssued (messageId m-1)\n"
    done = cli(clean_env, "press", "custom", "CUSTOM_BUTTON_2", "--socket", sock)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent PlaybackController.CustomCommandIssued (messageId m-2)\n"
    assert handler.pressed == [Button.PLAY, Button.CUSTOM]
    assert handler.details == [("TR-7", None), (None, "CUSTOM_BUTTON_2")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pause", "--token", "T"], "press: only play takes a token, not pause"),
        (["custom"], "press: custom needs the button's name"),
        (["stop", "X"], "press: only custom takes a button name, not stop"),
    ],
)
def test_press_bad_combination_is_usage_error(
    served: ServerThread,
    handler: StubHandler,
    clean_env: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    done = cli(clean_env, "press", *args, "--socket", str(served.server.path))
    assert done.returncode == 2
    assert message in done.stderr
    assert handler.pressed == []


def test_press_not_delivered_in_time_says_dropped(
    served: ServerThread, handler: StubHandler, clean_env: dict[str, str]
) -> None:
    handler.undelivered = True
    done = cli(clean_env, "press", "pause", "--socket", str(served.server.path))
    assert done.returncode == 1
    assert done.stdout == (
        "dropped PlaybackController.PauseCommandIssued (messageId m-1): "
        "not delivered within 10 s, so dropped (CIC unreachable)\n"
    )


def test_dialog(served: ServerThread, handler: StubHandler, clean_env: dict[str, str]) -> None:
    sock = str(served.server.path)
    assert cli(clean_env, "dialog", "voice-1", "--socket", sock).stdout == (
        "dialog voice-1 is current\n"
    )
    done = cli(clean_env, "dialog", "voice-2", "--socket", sock)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "dialog voice-2 is current; late directives of voice-1 will be dropped\n"
    )
    assert handler.dialogs == ["voice-1", "voice-2"]


def test_press_refused(
    served: ServerThread, handler: StubHandler, clean_env: dict[str, str]
) -> None:
    handler.refuse = "MediaPlayer is not available on this speaker"
    done = cli(clean_env, "press", "next", "--socket", str(served.server.path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "clova-client refused: MediaPlayer is not available on this speaker\n"


def test_press_unknown_button_is_usage_error(clean_env: dict[str, str]) -> None:
    done = cli(clean_env, "press", "eject")
    assert done.returncode == 2
    assert "invalid choice: 'eject'" in done.stderr


@pytest.mark.parametrize("command", ["status", "press"])
def test_not_running(sock_path: Path, clean_env: dict[str, str], command: str) -> None:
    args = [command, "--socket", str(sock_path)] + (["stop"] if command == "press" else [])
    done = cli(clean_env, *args)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"clova-client is not running (no control socket at {sock_path})\n"


def test_not_running_stale_socket(sock_path: Path, clean_env: dict[str, str]) -> None:
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(sock_path))
    leftover.close()
    done = cli(clean_env, "status", "--socket", str(sock_path))
    assert done.returncode == 1
    assert done.stderr == (
        f"clova-client is not running (stale control socket at {sock_path} refuses connections)\n"
    )


def _token_file(config: Path, body: str = '{"access_token": "a1", "refresh_token": "r1"}',
                mode: int = 0o600) -> Path:  # fmt: skip
    path = config.parent / "state" / "access_token"
    path.parent.mkdir(exist_ok=True)
    path.write_text(body)
    path.chmod(mode)
    return path


def test_check_config_ok(config: Path, control_dir: Path, clean_env: dict[str, str]) -> None:
    token = _token_file(config)
    done = cli(clean_env, "check-config", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"config ok: {config}",
        f"  state_dir: {config.parent / 'state'}",
        "  cic.base_url: http://127.0.0.1:8080",
        "  player.audio_output: null",
        f"  control socket: {control_dir / 'control.sock'}",
        f"  token file: {token}",
    ]


@pytest.mark.parametrize(
    ("body", "mode", "problem"),
    [
        (None, 0o600, "does not exist"),
        ('{"access_token": "a1"}', 0o644, "has mode 0644: it must not be readable or writable"),
        ('{"access_token": ', 0o600, "malformed JSON at line 1"),
    ],
)
def test_check_config_checks_the_token_file(
    config: Path, clean_env: dict[str, str], body: str | None, mode: int, problem: str
) -> None:
    path = config.parent / "state" / "access_token"
    if body is not None:
        _token_file(config, body, mode)
    done = cli(clean_env, "check-config", "--config", str(config))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"token file {path}")
    assert problem in done.stderr and done.stderr.count("\n") == 1
    assert "a1" not in done.stderr


def test_token_set_then_show(config: Path, clean_env: dict[str, str]) -> None:
    secret = '{"access_token": "acc-s3cret", "refresh_token": "ref-s3cret", "expires_in": 3600}'
    done = subprocess.run(
        [str(CLI), "token", "set", "--config", str(config)],
        input=secret, capture_output=True, text=True, timeout=30, env=clean_env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = config.parent / "state" / "access_token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert (saved["access_token"], saved["refresh_token"]) == ("acc-s3cret", "ref-s3cret")
    assert saved["expires_at"] > time.time() + 3500
    shown = cli(clean_env, "token", "show", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "refresh token: present" in shown.stdout and "(in 0 h 59 min)" not in shown.stdout
    assert "in 59 min" in shown.stdout or "in 1 h 0 min" in shown.stdout
    assert "s3cret" not in done.stdout + shown.stdout + done.stderr + shown.stderr


def test_token_set_two_lines_and_refuses_garbage(config: Path, clean_env: dict[str, str]) -> None:
    run = [str(CLI), "token", "set", "--config", str(config)]
    done = subprocess.run(run, input="acc-1\nref-1\n", capture_output=True, text=True,
                          timeout=30, env=clean_env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = config.parent / "state" / "access_token"
    assert json.loads(path.read_text())["refresh_token"] == "ref-1"
    bad = subprocess.run(run, input="two words\n", capture_output=True, text=True,
                         timeout=30, env=clean_env, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert "expected JSON, or the access token on line 1" in bad.stderr
    assert json.loads(path.read_text())["access_token"] == "acc-1"  # untouched


def test_bad_config_under_run_is_logged_with_its_priority(
    config: Path, clean_env: dict[str, str]
) -> None:
    env = clean_env | {"CLOVA_PLAYER__AUDIO_OUTPUT": "hdmi"}
    done = cli(env, "run", "--config", str(config), "--log-format", "journal")
    assert done.returncode == 2
    assert done.stderr.startswith('<3>event=cannot_start reason="config: player.audio_output')
    as_json = cli(env, "run", "--config", str(config), "--log-format", "json")
    line = json.loads(as_json.stderr)
    assert (line["level"], line["event"]) == ("error", "cannot_start")


@pytest.mark.parametrize("command", ["check-config", "status"])
def test_bad_config_is_one_line_exit_2(
    config: Path, clean_env: dict[str, str], command: str
) -> None:
    env = clean_env | {"CLOVA_PLAYER__AUDIO_OUTPUT": "hdmi"}
    done = cli(env, command, "--config", str(config))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"config: player.audio_output = 'hdmi' is not allowed {ALLOWED} "
        "[env CLOVA_PLAYER__AUDIO_OUTPUT]\n"
    )


def test_a_ca_file_that_cannot_be_read_is_one_config_line(
    config: Path, clean_env: dict[str, str]
) -> None:
    _token_file(config)
    missing = config.parent / "nope.pem"
    env = clean_env | {"CLOVA_CIC__CA_FILE": str(missing)}
    done = cli(env, "check-config", "--config", str(config))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"config: cic.ca_file = '{missing}' cannot be read: No such file or directory "
        "[env CLOVA_CIC__CA_FILE]\n"
    )
    not_pem = config.parent / "ca.pem"
    not_pem.write_text("not a certificate\n")
    text = config.read_text().replace("[cic]\n", f'[cic]\nca_file = "{not_pem}"\n')
    config.write_text(text)
    started = cli(clean_env, "run", "--config", str(config), "--log-format", "journal")
    assert started.returncode == 2
    assert started.stderr == (
        f"<3>event=cannot_start reason=\"config: cic.ca_file = '{not_pem}' cannot be read: "
        f'no PEM certificate in it [{config}]" level=error logger=clova_client.cli\n'
    )


def test_missing_config_file(tmp_path: Path, clean_env: dict[str, str]) -> None:
    missing = tmp_path / "nope.toml"
    done = cli(clean_env | {"CLOVA_CONFIG": str(missing)}, "check-config")
    assert done.returncode == 2
    assert done.stderr == f"config: file not found: {missing}\n"


def test_volume(served: ServerThread, handler: StubHandler, clean_env: dict[str, str]) -> None:
    sock = str(served.server.path)
    assert cli(clean_env, "volume", "--socket", sock).stdout == "volume 80\n"
    assert cli(clean_env, "volume", "35", "--socket", sock).stdout == "volume 35\n"
    assert cli(clean_env, "volume", "up", "--socket", sock).stdout == "volume 45\n"
    bad = cli(clean_env, "volume", "150", "--socket", sock)
    assert bad.returncode == 2 and bad.stderr == "volume: '150' is not 0-100, up or down\n"
    assert handler.volumes == [None, 35, "up"]


def test_devices_lists_what_libvlc_offers(clean_env: dict[str, str]) -> None:
    done = cli(clean_env, "devices")
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[:-1]]
    assert "default" in names  # ALSA's default PCM is always offered
    assert done.stdout.splitlines()[-1].startswith("set one as [player] alsa_device")
