"""``clova-client validate`` run as a real process: verdicts, field paths, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .spec import FIXTURES, doc, fixture_names
from .test_spec_fixtures import EXPECTED

CLI = Path(sys.executable).with_name("clova-client")


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CLI), *args], input=stdin.decode(), capture_output=True, text=True, timeout=30
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_every_spec_example_is_valid() -> None:
    paths = [str(FIXTURES / f"{name}.json") for name in fixture_names()]
    done = run("validate", *paths)
    assert done.returncode == 0, done.stdout
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == len(paths)
    for name, path, line in zip(fixture_names(), paths, lines, strict=True):
        assert line.startswith(f"{path}: ok {EXPECTED[name].name}"), line


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """One bad file per kind of problem."""
    play = doc("cic-audioplayer__play__2")
    del play["directive"]["payload"]["audioItem"]["stream"]["token"]
    play["directive"]["payload"]["playBehavior"] = "SOMETIMES"
    event = doc("cic-audioplayer__play-started")
    event["context"][0]["payload"]["offsetInMilliseconds"] = "late"
    files = {
        "play": json.dumps(play).encode(),
        "event": json.dumps(event).encode(),
        "truncated": b'{"directive": {"header": ',
        "empty": b"",
        "blank": b"  \n",
        "binary": bytes(range(256)),
        "list": b"[1, 2]",
        "unknown-shape": b'{"hello": "world"}',
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_bytes(data)
    paths["directory"] = tmp_path
    paths["missing"] = tmp_path / "missing.json"
    return paths


EXPECTED_ERRORS = {
    "play": [
        "error directive.payload.audioItem.stream.token: field required when urlPlayable is false",
        "error directive.payload.playBehavior: input should be 'REPLACE_ALL', 'ENQUEUE' or "
        "'REPLACE_ENQUEUED'",
    ],
    "event": [
        "error context[0].payload.offsetInMilliseconds: input should be a valid integer, "
        "unable to parse string as an integer"
    ],
    "truncated": ["error malformed JSON: Expecting value: line 1 column 26 (char 25)"],
    "empty": ["error empty file"],
    "blank": ["error empty file"],
    "binary": ["error not UTF-8 text (byte 128): binary file?"],
    "list": ["error expected a JSON object, got list"],
    "unknown-shape": [
        "error unrecognised message: not a directive, event, context or known payload"
    ],
    "directory": ["error is a directory"],
    "missing": ["error cannot read: No such file or directory"],
}


def test_broken_files_name_the_problem(broken: dict[str, Path]) -> None:
    done = run("validate", *(str(p) for p in broken.values()))
    assert done.returncode == 1
    expected = [f"{broken[name]}: {line}" for name in broken for line in EXPECTED_ERRORS[name]]
    assert done.stdout.splitlines() == expected


def test_one_bad_file_among_good_ones(broken: dict[str, Path]) -> None:
    good = str(FIXTURES / "cic-audioplayer__clear-queue.json")
    done = run("validate", good, str(broken["play"]), good)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"{good}: ok AudioPlayer.ClearQueue"
    assert lines[-1] == f"{good}: ok AudioPlayer.ClearQueue"
    assert len(lines) == 4


def test_stdin() -> None:
    done = run(
        "validate", "-", stdin=(FIXTURES / "nugu-mediaplayer__next-failed.json").read_bytes()
    )
    assert done.returncode == 0
    assert done.stdout == (
        "ok MediaPlayer.NextFailed (event named NextFailed.PlayFailed: handled as NextFailed)\n"
    )


@pytest.mark.parametrize("args", [[], ["validate"], ["frobnicate"], ["validate", "--bogus", "x"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "usage: clova-client" in done.stderr


def test_single_file_lines_have_no_file_prefix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    play = json.loads((FIXTURES / "cic-audioplayer__play__2.json").read_text())
    del play["directive"]["payload"]["audioItem"]["stream"]["token"]
    bad.write_text(json.dumps(play))
    done = run("validate", str(bad))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "error directive.payload.audioItem.stream.token: field required when urlPlayable is false"
    ]
