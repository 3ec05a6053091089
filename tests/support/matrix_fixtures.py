"""Session fixtures for the media matrix: the encodings, and nginx serving them.

Import them into a conftest or a test module (``tests/media``, ``tests/e2e``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.matrix_media import make_matrix
from tests.support.nginx import Nginx


@pytest.fixture(scope="session")
def matrix_media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every encoding of the matrix's chirp, made once per session with ffmpeg / lame."""
    directory = tmp_path_factory.mktemp("matrix-media")
    make_matrix(directory)
    return directory


@pytest.fixture(scope="session")
def matrix_nginx(
    matrix_media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Nginx]:
    """nginx serving ``matrix_media_dir`` on a free loopback port (see tests/support/nginx.py)."""
    with Nginx(matrix_media_dir, tmp_path_factory.mktemp("nginx")) as web:
        yield web
