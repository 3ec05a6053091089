"""The daemon's own plumbing, in process: the event hand-over to the outbox and the health check."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from clova_client.cic import TokenStore
from clova_client.config import AuthSection, Settings
from clova_client.daemon.app import Daemon
from clova_client.daemon.recent_errors import RecentErrors
from clova_client.player.backends.fake import FakeBackend


@pytest.fixture
def runtime() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="cc"))  # short: AF_UNIX paths stop at 108 bytes
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
async def daemon(tmp_path: Path, runtime: Path) -> AsyncIterator[Daemon]:
    token_file = tmp_path / "access_token"
    token_file.write_text("test-access-token\n")
    token_file.chmod(0o600)
    settings = Settings(
        state_dir=tmp_path / "state",
        runtime_dir=runtime,
        auth=AuthSection(access_token_file=token_file),
    )
    built = Daemon(settings, TokenStore(token_file), RecentErrors(), backend=FakeBackend())
    try:
        yield built
    finally:
        await built.client.close()
        built.outbox.close()


async def test_unhealthy_once_a_long_running_task_has_died(daemon: Daemon) -> None:
    async def crash() -> None:
        raise RuntimeError("bug")

    alive = asyncio.create_task(asyncio.Event().wait(), name="alive")
    dead = asyncio.create_task(crash(), name="events")
    await asyncio.gather(dead, return_exceptions=True)
    daemon.runtime._vital = [alive]
    assert daemon.runtime.healthy()
    daemon.runtime._vital = [alive, dead]
    assert not daemon.runtime.healthy()
    alive.cancel()


async def test_an_announced_dialog_makes_the_previous_one_stale(daemon: Daemon) -> None:
    from clova_client.agents.router import Outcome
    from clova_client.control import CommandRefused

    assert daemon.actions.begin_dialog("voice-1") == {
        "dialog_request_id": "voice-1",
        "superseded": None,
    }
    assert daemon.actions.begin_dialog("voice-2")["superseded"] == "voice-1"
    late = {
        "directive": {
            "header": {
                "namespace": "PlaybackController",
                "name": "Pause",
                "messageId": "m-late",
                "dialogRequestId": "voice-1",
            },
            "payload": {},
        }
    }
    assert await daemon.router.dispatch(late) is Outcome.STALE_DIALOG
    late["directive"]["header"]["dialogRequestId"] = "cloud-minted"
    assert await daemon.router.dispatch(late) is Outcome.HANDLED
    with pytest.raises(CommandRefused, match="dialogRequestId"):
        daemon.actions.begin_dialog("x" * 500)


async def test_volume_set_at_run_time_is_applied_and_saved(daemon: Daemon) -> None:
    await daemon.engine.start()
    try:
        assert await daemon.actions.volume(35) == {"volume": 35, "muted": False}
        assert await daemon.actions.volume("up") == {"volume": 45, "muted": False}
        assert await daemon.actions.volume("down") == {"volume": 35, "muted": False}
        await daemon.saved.close()  # the last save written
        saved = daemon.saved.file.load()
        assert saved is not None and saved["volume"] == 35  # a restart restores it
    finally:
        await daemon.engine.close()


async def test_earcons_go_to_the_output_unless_switched_off(tmp_path: Path, runtime: Path) -> None:
    from clova_client.agents.router import Outcome
    from clova_client.config import PlayerSection
    from clova_client.player.earcon import Earcon

    token_file = tmp_path / "access_token"
    token_file.write_text("test-access-token\n")
    token_file.chmod(0o600)
    for setting, expected in (("default", [(Earcon.MUTE, 80)]), ("off", [])):
        settings = Settings(
            state_dir=tmp_path / f"state-{setting}",
            runtime_dir=runtime,
            auth=AuthSection(access_token_file=token_file),
            player=PlayerSection(earcon=setting),
        )
        backend = FakeBackend()
        built = Daemon(settings, TokenStore(token_file), RecentErrors(), backend=backend)
        try:
            await built.engine.mixer.set_volume(80)
            mute = {
                "directive": {
                    "header": {"namespace": "PlaybackController", "name": "Mute", "messageId": "m"},
                    "payload": {},
                }
            }
            assert await built.router.dispatch(mute) is Outcome.HANDLED
            assert backend.muted
            assert backend.earcons == expected
        finally:
            await built.client.close()
            built.outbox.close()
