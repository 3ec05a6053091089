"""Journal mode sends structured fields over journald's native protocol.

A private mount namespace puts a datagram socket of the test's own at journald's address
(``/run/systemd/journal/socket``); what the daemon's logging sends there is read back as the
native protocol's ``KEY=value`` lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    import json, os, socket, sys
    import structlog
    from clova_client.logging import JOURNAL_SOCKET, configure_logging

    os.makedirs(os.path.dirname(JOURNAL_SOCKET), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(JOURNAL_SOCKET)
    sock.settimeout(5)
    configure_logging("journal", "info", secrets_provider=lambda: ["s3cret-token"])
    log = structlog.get_logger("clova_client.player.machine")
    log.warning("player.item_abandoned", token="tok-1", message_id="m-1", reason="HTTP 404")
    log.info("cic.connected", auth="Bearer s3cret-token")
    out = []
    for _ in range(2):
        fields = {}
        for line in sock.recv(65536).decode().splitlines():
            key, _, value = line.partition("=")
            fields.setdefault(key, value)
        out.append(fields)
    print(json.dumps(out))
    """
)


def _in_private_journal(code: str) -> list[dict[str, str]]:
    script = "mkdir -p /run/systemd/journal && mount -t tmpfs none /run/systemd/journal && "
    done = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script + f'exec "{sys.executable}" -c "$0"',
            code,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


def test_a_warning_carries_priority_and_event_as_journal_fields() -> None:
    warning, info = _in_private_journal(PROBE)
    assert warning["PRIORITY"] == "4"
    assert warning["EVENT"] == "player.item_abandoned"
    assert warning["TOKEN"] == "tok-1"
    assert warning["MESSAGE_ID"] == "m-1"
    assert warning["REASON"] == "HTTP 404"
    assert warning["SYSLOG_IDENTIFIER"] == "clova-client"
    assert warning["CODE_FUNC"] and warning["CODE_LINE"].isdigit()
    assert warning["MESSAGE"].startswith("event=player.item_abandoned ")
    assert not warning["MESSAGE"].startswith("<")  # the priority travels as a field
    assert info["PRIORITY"] == "6"
    assert "s3cret-token" not in json.dumps(info)  # redacted before any field is made


def test_without_a_journal_socket_it_falls_back_to_prefixed_logfmt() -> None:
    code = textwrap.dedent(
        """
        import io, structlog
        from clova_client.logging import configure_logging
        out = io.StringIO()
        configure_logging("journal", "info", stream=out)
        structlog.get_logger("clova_client.x").warning("cannot_start", reason="bad")
        print(out.getvalue(), end="")
        """
    )
    # A private /run/systemd/journal with no socket in it: journald is not there.
    script = "mkdir -p /run/systemd/journal && mount -t tmpfs none /run/systemd/journal && "
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private",
         "sh", "-c", script + f'exec "{sys.executable}" -c "$0"', code],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<4>event=cannot_start reason=bad level=warning logger=clova_client.x\n"
