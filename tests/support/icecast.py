"""A live MP3 stream: Debian's ``icecast2`` on loopback, fed in real time by ``ffmpeg -re``.

Icecast gets its own configuration, logs and port in a private directory. It refuses to run as
root unless told to change owner: as root the directory belongs to ``nobody`` and the
configuration has ``<changeowner>`` (icecast drops to ``nobody`` after binding); as anyone
else it runs as that user. ``ffmpeg`` loops a WAV forever, encodes it to MP3 128k at real
speed and sends it to the ``/live.mp3`` mount, as a radio station's encoder would.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.support.nginx import free_port
from tests.support.procs import stop_process

SOURCE_PASSWORD = "matrix-source"
MOUNT = "/live.mp3"


def _config(work: Path, port: int, as_root: bool) -> str:
    owner = (
        "<changeowner><user>nobody</user><group>nogroup</group></changeowner>" if as_root else ""
    )
    web = "/usr/share/icecast2"
    return f"""<icecast>
  <location>matrix</location><admin>matrix@localhost</admin>
  <limits><clients>50</clients><sources>2</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout><burst-on-connect>1</burst-on-connect>
    <burst-size>65535</burst-size></limits>
  <authentication><source-password>{SOURCE_PASSWORD}</source-password>
    <admin-user>admin</admin-user><admin-password>matrix-admin</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>{work}</basedir><logdir>{work}</logdir><webroot>{web}/web</webroot>
    <adminroot>{web}/admin</adminroot><pidfile>{work}/icecast.pid</pidfile></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>2</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"""


class Icecast:
    """``with Icecast(wav) as radio: radio.url`` is a live MP3 stream (no length, no end)."""

    def __init__(self, wav: Path) -> None:
        self.wav = wav
        self.port = 0
        self.work: Path | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.feeder: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{MOUNT}"

    def start(self) -> Icecast:
        binary = shutil.which("icecast2")
        ffmpeg = shutil.which("ffmpeg")
        if binary is None or ffmpeg is None:
            raise RuntimeError("icecast2 / ffmpeg are not installed (scripts/bootstrap does it)")
        as_root = os.geteuid() == 0
        # Outside pytest's 0700 temp tree: icecast (as nobody) must reach its log directory.
        self.work = Path(tempfile.mkdtemp(prefix="clova-icecast-"))
        self.port = free_port()
        conf = self.work / "icecast.xml"
        conf.write_text(_config(self.work, self.port, as_root))
        if as_root:
            uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
            for path in (self.work, conf):
                os.chown(path, uid, gid)
        self.server = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait(lambda: self._get("/status-json.xsl") is not None, "icecast2 did not start")
        self.feeder = subprocess.Popen(
            [
                ffmpeg,
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-re",
                "-stream_loop",
                "-1",
                "-i",
                str(self.wav),
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
                "-content_type",
                "audio/mpeg",
                "-f",
                "mp3",
                f"icecast://source:{SOURCE_PASSWORD}@127.0.0.1:{self.port}{MOUNT}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(self._mount_live, "ffmpeg's live stream never reached icecast2")
        # Let the burst a new listener gets fill up (it starts a stream with 64 KB of audio).
        time.sleep(1.0)
        return self

    def _get(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1) as r:
                return bytes(r.read())
        except OSError:
            return None

    def _mount_live(self) -> bool:
        status = self._get("/status-json.xsl")
        return status is not None and MOUNT.encode() in status

    def _wait(self, ready: object, message: str, limit_s: float = 10.0) -> None:
        assert callable(ready)
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            for proc in (self.server, self.feeder):
                if proc is not None and proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{message} (exit {proc.returncode}): {self._errors()}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{message}: {self._errors()}")

    def _errors(self) -> str:
        log = self.work / "error.log" if self.work is not None else None
        return log.read_text(errors="replace")[-1500:] if log and log.exists() else ""

    def stop(self) -> None:
        for proc in (self.feeder, self.server):
            stop_process(proc)
        self.feeder = self.server = None
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def __enter__(self) -> Icecast:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
