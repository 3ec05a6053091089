"""A state directory that is full, or read-only: the daemon keeps playing and sending, keeps its
events in memory and says so (status, one warning), and writes them to disk once it can.

Each case runs ``full_disk_runner`` (the real daemon on FakeBackend against its own h2c CIC
peer) in a private user and mount namespace where the state directory is a 1 MiB tmpfs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
UNSHARE = ("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private")


def run_in_tmpfs(kind: str, tmp_path: Path, mount_options: str) -> dict[str, Any]:
    state, runtime = tmp_path / "state", tmp_path / "run"
    state.mkdir()
    runtime.mkdir()
    token = tmp_path / "access_token"
    token.write_text("test-access-token\n")
    token.chmod(0o600)
    mount = f'mount -t tmpfs -o {mount_options} tmpfs "$0" && exec "$@"'
    runner = [sys.executable, "-m", "tests.daemon.full_disk_runner", kind]
    done = subprocess.run(
        [*UNSHARE, "sh", "-c", mount, str(state), *runner, str(state), str(runtime), str(token)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def check_nothing_lost(report: dict[str, Any]) -> None:
    raised = report["raised"]
    assert len(raised) >= 15
    delivered = list(dict.fromkeys(report["received"]))  # a retried POST may come twice
    assert [m for m in delivered if m in set(raised)] == raised  # every one, in order
    assert report["drained"]["pending"] == 0 and report["on_disk_after_drain"] == []
    assert report["exit"] == 0


def check_logged_once_each(report: dict[str, Any], disk: str) -> None:
    """One warning when it started, one info when it ended: the outbox's, the state file's."""
    logged = [(e["event"], e["log_level"], e["disk"]) for e in report["logs"]]
    assert [entry for entry in logged if "outbox" in entry[0]] == [
        ("cic.outbox_disk_unwritable", "warning", disk),
        ("cic.outbox_disk_recovered", "info", None),
    ]
    assert [entry for entry in logged if entry[0].startswith("state_save")] == [
        ("state_save_failed", "warning", None),
        ("state_save_recovered", "info", None),
    ]


def test_a_full_state_directory(tmp_path: Path) -> None:
    report = run_in_tmpfs("full", tmp_path, "size=1m")

    # the first event of the run found the disk full; the next ones went straight to CIC
    assert report["flowing"]["disk"] == "full"
    # CIC stopped answering: every pending event is in memory only
    piled = report["piled_up"]
    assert piled["disk"] == "full" and piled["in_memory"] == piled["pending"] >= 10
    # space freed: all of them were written, in order
    assert report["written"]["disk"] == "ok" and report["written"]["in_memory"] == 0
    assert report["on_disk_is_pending"]
    check_nothing_lost(report)
    check_logged_once_each(report, "full")


def test_a_read_only_state_directory(tmp_path: Path) -> None:
    report = run_in_tmpfs("read-only", tmp_path, "size=1m,ro")

    assert report["flowing"]["disk"] == "read-only"
    piled = report["piled_up"]
    assert piled["disk"] == "read-only" and piled["in_memory"] == piled["pending"] >= 10
    assert report["written"]["disk"] == "ok" and report["written"]["in_memory"] == 0
    assert report["on_disk_is_pending"]
    check_nothing_lost(report)
    check_logged_once_each(report, "read-only")


def test_status_text_says_the_disk_is_full() -> None:
    from clova_client.control import render_status

    doc = {"outbox": {"pending": 12, "disk": "full", "in_memory": 12}}
    assert "outbox:      12 events pending (disk full: 12 in memory only)" in render_status(doc)
    doc["outbox"]["disk"] = "ok"
    assert "outbox:      12 events pending\n" in render_status(doc)
