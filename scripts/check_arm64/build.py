"""The speaker's install path, built on this x86-64 host (../shared/notes/arm64.md).

An unpacked Debian bookworm arm64 userland (no maintainer scripts: no binfmt_misc here), the
pinned wheelhouse for linux_aarch64 (``scripts/wheelhouse``), the wheels pip builds on the host
(pure-Python source archives and clova-client itself), and a SITE directory they are installed
into for arm64. The userland and the wheelhouse are cached under the work dir; the project's
wheel and SITE are made again on every run, so the check always tests the checkout as it is.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUITE = "bookworm"
PACKAGES = "python3,libvlc5,vlc-plugin-base,libvlc-bin,ca-certificates,libsystemd0"
MIRROR_ENV = "CHECK_ARM64_MIRROR"
AARCH64_TAGS = ("manylinux_2_34_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
PROJECT_FILES = ("pyproject.toml", "README.md", "clova_client")


class BuildError(RuntimeError):
    """A build step failed; the message says which command and how."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything lives under the work dir."""

    repo: Path
    workdir: Path

    @property
    def rootfs(self) -> Path:
        return self.workdir / "rootfs"

    @property
    def wheelhouse(self) -> Path:
        return self.workdir / "wheelhouse"

    @property
    def wheels(self) -> Path:
        return self.workdir / "host-wheels"

    @property
    def site(self) -> Path:
        return self.workdir / "site"

    @property
    def python(self) -> Path:
        return self.rootfs / "usr/bin/python3.11"

    @property
    def host_python(self) -> Path:
        return self.repo / ".venv/bin/python"


def run(cmd: list[str], log: Path, **kwargs: object) -> None:
    """Run ``cmd``, appending its output to ``log``; raise BuildError with its tail on failure."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise BuildError(
            f"{cmd[0]} exited {done.returncode}; last lines of {log}:\n" + "\n".join(tail)
        )


def _sources_entries() -> list[tuple[list[str], list[str]]]:
    """(URIs, suites) of every enabled ``deb`` entry in the host's apt sources."""
    entries: list[tuple[list[str], list[str]]] = []
    for name in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", Path(name).read_text(errors="replace")):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                entries.append((fields.get("uris", "").split(), fields.get("suites", "").split()))
    lists = ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]
    for name in lists:
        if not os.path.exists(name):
            continue
        for line in Path(name).read_text(errors="replace").splitlines():
            words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                entries.append(([words[1]], [words[2]]))
    return entries


def debian_mirror() -> str:
    """The Debian mirror: $CHECK_ARM64_MIRROR, else the one the host's apt uses for bookworm."""
    if os.environ.get(MIRROR_ENV):
        return os.environ[MIRROR_ENV]
    for uris, suites in _sources_entries():
        if SUITE in suites and uris:
            return uris[0]
    raise BuildError(
        f"no apt source for '{SUITE}' in /etc/apt/sources.list*; set {MIRROR_ENV} to a Debian "
        "mirror that carries arm64"
    )


def _stamp_ok(stamp: Path, want: str) -> bool:
    return stamp.is_file() and stamp.read_text() == want


def userland(lay: Layout, log: Path) -> str:
    """Build (or reuse) the unpacked arm64 userland; returns what was done."""
    stamp = lay.workdir / "rootfs.stamp"
    want = f"{SUITE} {PACKAGES}\n"
    if _stamp_ok(stamp, want) and lay.python.exists():
        return f"reused {lay.rootfs.name}/"
    mirror = debian_mirror()
    tmp = lay.workdir / "rootfs.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(lay.rootfs, ignore_errors=True)
    mode = "root" if os.geteuid() == 0 else "unshare"
    run(
        [
            "mmdebstrap",
            f"--mode={mode}",
            "--variant=extract",
            "--architectures=arm64",
            f"--include={PACKAGES}",
            SUITE,
            str(tmp),
            mirror,
        ],
        log,
    )
    tmp.rename(lay.rootfs)
    stamp.write_text(want)
    return f"built from {mirror}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheelhouse(lay: Layout, log: Path) -> str:
    """``scripts/wheelhouse --platform linux_aarch64`` (reused while the pins are unchanged)."""
    stamp = lay.workdir / "wheelhouse.stamp"
    want = _sha256(lay.repo / "requirements/speaker.txt") + "\n"
    if _stamp_ok(stamp, want) and lay.wheelhouse.is_dir():
        return f"reused ({len(list(lay.wheelhouse.iterdir()))} files)"
    tmp = lay.workdir / "wheelhouse.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(lay.wheelhouse, ignore_errors=True)
    run(
        [
            str(lay.repo / "scripts/wheelhouse"),
            str(tmp),
            "--platform",
            "linux_aarch64",
            "--python",
            "3.11",
        ],
        log,
    )
    tmp.rename(lay.wheelhouse)
    stamp.write_text(want)
    return f"downloaded ({len(list(lay.wheelhouse.iterdir()))} files)"


def _pip(lay: Layout) -> list[str]:
    # --isolated: no pip.conf / PIP_* from the host, so only the wheelhouse is ever used.
    return [str(lay.host_python), "-m", "pip", "--isolated", "--disable-pip-version-check"]


def host_wheels(lay: Layout, log: Path) -> str:
    """Wheels of the wheelhouse's source archives and of the checkout, built on the host."""
    shutil.rmtree(lay.wheels, ignore_errors=True)
    src = lay.workdir / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in PROJECT_FILES:  # a clean copy: no stale build/ of the checkout in the wheel
        origin = lay.repo / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, src / name)
    sdists = [
        str(p)
        for p in sorted(lay.wheelhouse.iterdir())
        if p.name.endswith((".tar.gz", ".zip")) and p.name != "requirements.txt"
    ]
    run(
        [
            *_pip(lay),
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--find-links",
            str(lay.wheelhouse),
            "--wheel-dir",
            str(lay.wheels),
            *sdists,
            str(src),
        ],
        log,
    )
    return ", ".join(sorted(p.name for p in lay.wheels.glob("*.whl")))


def site(lay: Layout, log: Path) -> str:
    """pip installs clova-client and its pinned dependencies for cp311 aarch64 into SITE."""
    tmp = lay.workdir / "site.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    platforms = [arg for tag in AARCH64_TAGS for arg in ("--platform", tag)]
    run(
        [
            *_pip(lay),
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(lay.wheelhouse),
            "--find-links",
            str(lay.wheels),
            "--target",
            str(tmp),
            *platforms,
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "clova-client",
        ],
        log,
    )
    shutil.rmtree(lay.site, ignore_errors=True)
    tmp.rename(lay.site)
    return f"{len([p for p in lay.site.glob('*.dist-info')])} distributions"


def arm64_command(lay: Layout, code: str) -> list[str]:
    """The arm64 Python of the userland under user-mode emulation, running ``code``."""
    return ["qemu-aarch64-static", "-L", str(lay.rootfs), str(lay.python), "-c", code]


def arm64_env(lay: Layout, home: Path) -> dict[str, str]:
    """A clean environment for the arm64 Python: SITE on its path and nothing of the host's."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(lay.site),
        "PYTHONNOUSERSITE": "1",
    }


def probe(lay: Layout, cwd: Path) -> str:
    """What the arm64 interpreter sees: machine, Python, clova-client and libVLC versions."""
    code = (
        "import platform, sys, vlc, clova_client; "
        "print(platform.machine(), platform.python_version(), "
        "getattr(clova_client, '__version__', '?'), vlc.libvlc_get_version().decode())"
    )
    done = subprocess.run(
        arm64_command(lay, code),
        cwd=cwd,
        env=arm64_env(lay, cwd),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(f"the arm64 Python failed to import clova_client/vlc:\n{done.stderr}")
    machine, python, version, libvlc = done.stdout.split(maxsplit=3)
    if machine != "aarch64":
        raise BuildError(f"expected an aarch64 interpreter, got {machine}")
    return f"{machine}: Python {python}, clova-client {version}, libVLC {libvlc.strip()}"
