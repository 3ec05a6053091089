"""The speaker's deviceUUID: Recognize's ``initiator.payload.deviceUUID``.

The guide asks for a UUID the device makes once and keeps, from which no user can be known (not
a token, not a client id). It is made at the first start and kept in ``state_dir/device_uuid``;
a file that is unreadable or not a UUID is replaced (logged), a state directory that cannot be
written leaves a UUID for this run only.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

FILE_NAME = "device_uuid"


def device_uuid(state_dir: Path) -> str:
    path = state_dir / FILE_NAME
    try:
        return str(uuid.UUID(path.read_text(encoding="ascii").strip()))
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("device_uuid.replaced", file=str(path), reason=str(exc))
    made = str(uuid.uuid4())
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(made + "\n", encoding="ascii")
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("device_uuid.not_kept", file=str(path), reason=exc.strerror or str(exc))
    return made
