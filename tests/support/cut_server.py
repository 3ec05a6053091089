"""A media server whose connections drop: it promises the whole file and sends only a part.

``Content-Length`` (or ``Content-Range`` for a Range request) is the whole file's, as a CDN
sends it; the body stops after ``keep`` bytes of the file and the connection closes, as when a
connection breaks mid-file. libVLC then knows the real length (from the header) but reaches the
end of its data early: the daemon's "ended early" guard. (nginx cannot be made to do this; a
file cut on disk is no test, since libVLC takes an MP3's length from its size.) One thread,
loopback, a free port.
"""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path


class CutServer:
    def __init__(self, path: Path, keep: int) -> None:
        self.body = path.read_bytes()
        self.keep = keep
        self.requests: list[str] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/cut.mp3"

    def __enter__(self) -> CutServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            text = head.decode("latin-1")
            self.requests.append(text.split("\r\n", 1)[0])
            size = len(self.body)
            found = re.search(r"(?im)^range:\s*bytes=(\d+)-", text)
            start = int(found[1]) if found else 0
            if found and start < size:
                status = "206 Partial Content"
                extra = f"Content-Range: bytes {start}-{size - 1}/{size}\r\n"
            else:
                status, extra, start = "200 OK", "", 0
            header = (
                f"HTTP/1.1 {status}\r\nContent-Type: audio/mpeg\r\n"
                f"Content-Length: {size - start}\r\nAccept-Ranges: bytes\r\n{extra}"
                "Connection: close\r\n\r\n"
            )
            try:
                conn.sendall(header.encode("latin-1") + self.body[start : max(start, self.keep)])
            except OSError:
                return
