"""scripts/install-pi staged under a prefix: files, modes, a working venv, idempotence."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What the script reads from a checkout.
CHECKOUT = [
    "scripts/install-pi",
    "scripts/wheelhouse",
    "requirements/speaker.txt",
    "pyproject.toml",
    "README.md",
    "clova_client",
    "config",
    "systemd",
    "docs/OPERATIONS.md",
]


def snapshot(target: Path) -> Path:
    """A copy of the checkout, so edits elsewhere in the tree cannot change it mid-test."""
    for name in CHECKOUT:
        source, dest = REPO / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest)
    return target


def run_install(checkout: Path, prefix: Path, *extra: str, offline: Path | None = None) -> str:
    """install-pi staged under ``prefix``; with ``offline`` (a wheelhouse), in a network
    namespace of its own with no network at all, and no pip configuration of this machine."""
    env = os.environ | {"PYTHON": sys.executable, "PIP_CONFIG_FILE": os.devnull}
    command = [str(checkout / "scripts/install-pi"), "--prefix", str(prefix), "--no-systemctl"]
    if offline is not None:
        command = ["unshare", "--user", "--map-root-user", "--net", *command]
        command += ["--wheelhouse", str(offline)]
    result = subprocess.run(
        [*command, *extra], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_offline_install_under_a_prefix_then_again_then_uninstall(tmp_path: Path) -> None:
    checkout = snapshot(tmp_path / "checkout")
    wheels = tmp_path / "wheels"
    made = subprocess.run(
        [str(checkout / "scripts/wheelhouse"), str(wheels)],
        capture_output=True, text=True, timeout=300, check=False,
        env=os.environ | {"PYTHON": sys.executable, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    prefix = tmp_path / "root"
    out = run_install(checkout, prefix, offline=wheels)

    venv = prefix / "opt/clova-client/venv"
    help_run = subprocess.run(
        [str(venv / "bin/clova-client"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "usage: clova-client" in help_run.stdout
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import clova_client; print(clova_client.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert Path(where).resolve().is_relative_to(venv.resolve())  # a real install, not a link
    on_path = prefix / "usr/local/bin/clova-client"
    assert on_path.is_symlink() and on_path.resolve() == (venv / "bin/clova-client").resolve()
    no_pip_config = os.environ | {"PIP_CONFIG_FILE": os.devnull}
    installed = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True, text=True, check=True, env=no_pip_config,
    ).stdout.lower()  # fmt: skip
    pins = (REPO / "requirements/speaker.txt").read_text().lower()
    for name in ("pydantic==", "httpx==", "structlog=="):
        line = next(x for x in installed.splitlines() if x.startswith(name))
        assert f"{line} " in pins or f"{line}\n" in pins, line  # exactly the pinned version
    for server_stack in ("aiohttp", "hypercorn", "pyyaml", "trustme", "pytest"):
        assert f"{server_stack}==" not in installed  # the speaker gets the daemon only

    unit = prefix / "etc/systemd/system/clova-client.service"
    config = prefix / "etc/clova-client/config.toml"
    assert unit.read_bytes() == (REPO / "systemd/clova-client.service").read_bytes()
    assert config.read_bytes() == (REPO / "config/clova-client.toml").read_bytes()
    assert (mode(unit), mode(config), mode(config.parent)) == (0o644, 0o640, 0o750)
    assert (prefix / "opt/clova-client/OPERATIONS.md").is_file()
    for system_step in (
        "would run: useradd --system --user-group --groups audio",
        "would run: chown root:clova-client",
        "would run: systemctl daemon-reload",
        "would run: systemctl enable --now clova-client",
    ):
        assert system_step in out

    config.write_text('[player]\naudio_output = "alsa"\n')
    again = run_install(checkout, prefix, offline=wheels)
    assert config.read_text() == '[player]\naudio_output = "alsa"\n'  # never overwritten
    assert "keeping" in again
    assert "installing" not in again and "creating" not in again
    assert sorted(p.name for p in checkout.iterdir()) == sorted(
        {name.split("/")[0] for name in CHECKOUT}
    )  # nothing was built inside the checkout

    technician_finds_the_staged_daemon(prefix)

    kept = ["etc/clova-client/config.toml"]
    (prefix / "var/lib/clova-client/access_token").write_text("{}")
    kept.append("var/lib/clova-client/access_token")
    gone = run_install(checkout, prefix, "--uninstall")
    assert "kept" in gone
    assert files_under(prefix) == sorted(kept)  # nothing but what --purge removes
    run_install(checkout, prefix, "--purge")
    assert files_under(prefix) == []


AS_THE_UNIT_RUNS_IT = """
set -eu
mount -t tmpfs none /run && mkdir -m 0750 /run/clova-client    # RuntimeDirectory=
mount -t tmpfs none /var/lib && mkdir -m 0700 /var/lib/clova-client  # StateDirectory=
root=$1
env -i "$root/opt/clova-client/venv/bin/clova-client" run \\
    --config "$root/etc/clova-client/config.toml" --log-format json 2>"$root/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S /run/clova-client/control.sock ] && break; sleep 0.1; done
cd / && env -i PATH=/usr/bin:/bin "$root/usr/local/bin/clova-client" status --json
echo ---
echo '{"access_token": "staged-token"}' | env -i "$root/usr/local/bin/clova-client" token set \\
    --config "$root/etc/clova-client/config.toml" >/dev/null
sleep 2
env -i "$root/usr/local/bin/clova-client" status --json
kill -TERM $daemon && wait $daemon
"""


def technician_finds_the_staged_daemon(prefix: Path) -> None:
    """The staged daemon as the unit runs it (its ExecStart, no environment; /run and /var/lib
    private to this test, no network at all), and a technician's shell with no environment:
    ``clova-client status`` reaches it, first waiting for its token, then past that."""
    (prefix / "etc/clova-client/config.toml").write_text('[player]\naudio_output = "null"\n')
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "--net", "--propagation", "private",
         "sh", "-c", AS_THE_UNIT_RUNS_IT, "sh", str(prefix)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    log = (prefix / "daemon.log").read_text() if (prefix / "daemon.log").exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr + log
    first, second = (json.loads(doc) for doc in done.stdout.split("\n---\n"))
    assert first["connection"]["state"] == "WAITING_FOR_TOKEN"
    assert second["connection"]["state"] != "WAITING_FOR_TOKEN"  # it found the token file
    (prefix / "daemon.log").unlink()
