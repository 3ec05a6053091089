"""A real nginx (Debian's ``nginx-light``) serving a media directory on loopback, as a CDN would.

Its own configuration, logs and temp paths in a private directory; one process
(``master_process off``), so it runs as whoever starts it, root or not, on a free port. Static
files get nginx's own Range support. Locations:

=====================================  =================================================
``/media/PATH``                        the file, 200 / 206 (Range), ``Content-Length``
``/redirect/PATH``                     302 to ``/media/PATH``
``/signed/PATH?QUERY``                 the file only when the query is exactly
                                       ``SIGNED_QUERY`` (escaped as sent), else 403
``/gone/PATH``                         410
=====================================  =================================================

``requests()`` reads the access log: status, request line (with its query), Range header.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import stop_process

SIGNED_QUERY = "Expires=1924992000&Signature=q%2Bv7%2Fk9%3D%3D&Key-Pair-Id=APKA%20TEST"
"""A signed CDN URL's query, percent-escaped the way the service sends it: the player must send
it back byte for byte, and no log line may show it."""

TYPES = {
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg opus",
    "audio/flac": "flac",
    "audio/wav": "wav",
    "application/vnd.apple.mpegurl": "m3u8",
    "video/mp2t": "ts",
}


@dataclass(frozen=True, slots=True)
class AccessLine:
    status: int
    request: str
    range: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(root: Path, media: Path, port: int) -> str:
    types = "\n".join(f"        {mime} {exts};" for mime, exts in TYPES.items())
    temp = "\n".join(
        f"    {kind}_temp_path {root / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    types {{
{types}
    }}
    default_type application/octet-stream;
{temp}
    log_format matrix '$status "$request" "$http_range"';
    access_log {root / "access.log"} matrix;
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        location /media/ {{ alias {media}/; }}
        location /redirect/ {{ rewrite ^/redirect/(.*)$ /media/$1 redirect; }}
        location /signed/ {{
            if ($args != "{SIGNED_QUERY}") {{ return 403; }}
            alias {media}/;
        }}
        location /gone/ {{ return 410; }}
    }}
}}
"""


class Nginx:
    """``with Nginx(media_dir, work_dir) as web: web.url("media", "a.mp3")``."""

    def __init__(self, media: Path, work: Path) -> None:
        self.media = media
        self.work = work
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.work.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):
            self.port = free_port()
            conf = self.work / "nginx.conf"
            conf.write_text(_config(self.work, self.media, self.port))
            self.proc = subprocess.Popen(
                [binary, "-c", str(conf), "-p", str(self.work), "-e", str(self.work / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_listening():
                return self
            self.stop()
        raise RuntimeError(f"nginx did not start: {(self.work / 'error.log').read_text()[-2000:]}")

    def _wait_listening(self, limit_s: float = 5.0) -> bool:
        assert self.proc is not None
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, kind: str, path: str) -> str:
        """``kind``: media, redirect, signed (with ``SIGNED_QUERY``) or gone."""
        if kind == "signed":
            return f"{self.base}/signed/{path}?{SIGNED_QUERY}"
        if kind not in ("media", "redirect", "gone"):
            raise ValueError(f"unknown location {kind!r}")
        return f"{self.base}/{kind}/{path}"

    def requests(self) -> list[AccessLine]:
        log = self.work / "access.log"
        lines: list[AccessLine] = []
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            status, _, rest = line.partition(" ")
            request, _, range_ = rest.rpartition(" ")
            lines.append(AccessLine(int(status), request.strip('"'), range_.strip('"')))
        return lines
