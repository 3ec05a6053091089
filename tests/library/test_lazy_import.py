"""A speaker without a library never loads mutagen (issue 12: small boards)."""

from __future__ import annotations

import subprocess
import sys


def test_the_daemon_and_the_cli_import_no_tag_reader() -> None:
    code = (
        "import sys, clova_client.daemon.app, clova_client.cli.main\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mutagen'"
        " or m == 'clova_client.library.scan'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
