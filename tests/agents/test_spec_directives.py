"""Every directive example of the spec, verbatim (headers as printed, the cloud's ids
included), travels the real downchannel of the HTTP/2 mock, the real parser and router, to its
handler in a real daemon (on the fake media backend): each one is handled, none dropped."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from clova_client.agents.router import Outcome
from clova_client.cic import TokenStore
from clova_client.cic.state import ConnectionState
from clova_client.config import AuthSection, CicSection, Settings
from clova_client.daemon.app import Daemon
from clova_client.daemon.recent_errors import RecentErrors
from clova_client.mock_cic import MockCicServer
from clova_client.player.backends.fake import FakeBackend
from clova_client.protocol.validate import Kind, parse_message
from tests.protocol.spec import FIXTURES, fixture_names, raw

DEVICE, TOKEN = "spec-speaker", "spec-token-1"


def spec_directives() -> list[tuple[str, dict[str, Any]]]:
    """The directive examples as printed; a CEK response's directives (which the cloud turns
    into directives) get the messageId and dialogRequestId the cloud would stamp on them."""
    found: list[tuple[str, dict[str, Any]]] = []
    for name in fixture_names():
        message = parse_message(raw(name))
        doc = json.loads(raw(name))
        if message.kind is Kind.DIRECTIVE:
            found.append((name, doc if "directive" in doc else {"directive": doc}))
        elif message.kind is Kind.EXTENSION_RESPONSE:
            for n, item in enumerate(doc["response"].get("directives", [])):
                header = {
                    **item["header"],
                    "messageId": str(uuid.uuid4()),
                    "dialogRequestId": str(uuid.uuid4()),
                }
                found.append((f"{name}[{n}]", {"directive": {**item, "header": header}}))
    return found


@pytest.fixture
def runtime() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="cs"))  # short: AF_UNIX paths stop at 108 bytes
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
async def daemon_on_mock(tmp_path: Path, runtime: Path) -> AsyncIterator[tuple[Daemon, Any]]:
    async with MockCicServer(tokens={TOKEN: DEVICE}) as mock:
        token_file = tmp_path / "access_token"
        token_file.write_text(json.dumps({"access_token": TOKEN}))
        token_file.chmod(0o600)
        settings = Settings(
            state_dir=tmp_path / "state",
            runtime_dir=runtime,
            cic=CicSection(base_url=mock.base_url, ca_file=mock.ca_file),
            auth=AuthSection(access_token_file=token_file, auth_url=mock.auth_url),
        )
        daemon = Daemon(settings, TokenStore(token_file), RecentErrors(), backend=FakeBackend())
        stop = asyncio.Event()
        running = asyncio.create_task(daemon.run(stop))
        try:
            await asyncio.wait_for(daemon.client.wait_for_state(ConnectionState.CONNECTED), 20)
            yield daemon, mock
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)


async def test_every_spec_directive_is_handled_not_dropped(
    daemon_on_mock: tuple[Daemon, MockCicServer],
) -> None:
    daemon, mock = daemon_on_mock
    outcomes: dict[str, Outcome] = {}
    arrived = asyncio.Event()
    dispatch = daemon.router.dispatch

    async def recording(raw_bytes: Any, attachments: Any = None) -> Outcome:
        outcome = await dispatch(raw_bytes, attachments or {})
        data = json.loads(raw_bytes)
        outcomes[data["directive"]["header"]["messageId"]] = outcome
        arrived.set()
        return outcome

    daemon.router.dispatch = recording  # type: ignore[method-assign,assignment]
    examples = spec_directives()
    assert len(examples) >= 18, [name for name, _ in examples]
    with_cloud_ids = [n for n, d in examples if d["directive"]["header"].get("dialogRequestId")]
    assert {"cic-audioplayer__clear-queue", "cic-audioplayer__stream-deliver"} <= set(
        with_cloud_ids
    )
    assert all(n in with_cloud_ids for n, _ in examples if n.startswith("nugu-mediaplayer"))
    for _, message in examples:
        await mock.push(DEVICE, message)
    ids = {name: m["directive"]["header"]["messageId"] for name, m in examples}
    async with asyncio.timeout(30):
        while len(outcomes) < len(set(ids.values())):
            arrived.clear()
            await arrived.wait()
    verdicts = {name: outcomes[mid] for name, mid in ids.items()}
    assert verdicts == {name: Outcome.HANDLED for name in ids}, verdicts
    assert FIXTURES.is_dir()
