"""A throw-away CA and server certificate for the CIC port (TLS, ALPN h2 only)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def _identities(host: str) -> list[str]:
    names = ["127.0.0.1", "localhost", "::1"]
    if host not in WILDCARD_HOSTS and host not in names:
        names.append(host)
    return names


class ServerTls:
    """A fresh CA whose PEM is written to ``ca_file``, and the server's SSLContext."""

    def __init__(self, host: str, ca_file: Path) -> None:
        self.ca = trustme.CA(organization_name="clova-client mock CIC")
        self.cert = self.ca.issue_cert(*_identities(host))
        self.ca_file = ca_file
        write_private(ca_file, self.ca.cert_pem.bytes())

    def server_context(self) -> ssl.SSLContext:
        """TLS 1.2+, ALPN offers only h2 (a client that cannot speak it gets HTTP/1.1: 505)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.cert.configure_cert(context)
        context.set_alpn_protocols(["h2"])
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA and offers h2 (for tests and tools)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.set_alpn_protocols(["h2"])
        return context


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
