from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clova_client.library import Library
from tests.library.media import SONGS, base_audio, make_library


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return base_audio(tmp_path_factory.mktemp("base-audio"))


@pytest.fixture
def music_root(tmp_path: Path, base: dict[str, Path]) -> Path:
    root = tmp_path / "music"
    make_library(root, base, SONGS)
    return root


@pytest.fixture
async def library(tmp_path: Path, music_root: Path) -> AsyncIterator[Library]:
    lib = Library([music_root], tmp_path / "state" / "library.db")
    await lib.start(background=False)
    await lib.scan()
    yield lib
    await lib.close()
