"""The media matrix's servers and its one run of every job the selected tests need.

``matrix`` starts nginx, icecast2 (with ffmpeg feeding it) and a private PulseAudio, then runs
the jobs of every collected matrix test side by side, once per session; each test then reads its
job's result. A job that could not run (a runner that crashed, PulseAudio missing) fails its
tests with the reason: nothing is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.analysis import JobResult
from tests.media.jobs import Servers, run_jobs
from tests.support.cut_server import CutServer
from tests.support.icecast import Icecast
from tests.support.matrix_fixtures import matrix_media_dir, matrix_nginx  # noqa: F401
from tests.support.matrix_media import BY_NAME
from tests.support.nginx import Nginx
from tests.support.pulse import PrivatePulse, PulseUnavailable

Results = dict[str, JobResult | str]


@pytest.fixture(scope="session")
def matrix_servers(
    matrix_media_dir: Path,  # noqa: F811
    matrix_nginx: Nginx,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Servers]:
    pulse: PrivatePulse | None = PrivatePulse(tmp_path_factory.mktemp("pulse"))
    error = None
    try:
        assert pulse is not None
        pulse.start()
    except PulseUnavailable as exc:
        pulse, error = None, str(exc)
    mp3 = matrix_media_dir / BY_NAME["mp3-cbr"].path
    try:
        with (
            Icecast(matrix_media_dir / BY_NAME["wav"].path) as radio,
            CutServer(mp3, mp3.stat().st_size // 4) as cut,
        ):
            yield Servers(matrix_nginx, radio.url, cut.url, pulse, error)
    finally:
        if pulse is not None:
            pulse.stop()


@pytest.fixture(scope="session")
def matrix(
    request: pytest.FixtureRequest,
    matrix_servers: Servers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Results:
    """Every selected matrix test's job, run once, side by side (``MATRIX_DIR``: where the
    jobs' files go, kept for a look afterwards; a fresh temp directory by default)."""
    keys = sorted(
        {
            str(item.callspec.params["key"])
            for item in request.session.items
            if isinstance(item, pytest.Function)
            and hasattr(item, "callspec")
            and "key" in item.callspec.params
            and "matrix" in item.fixturenames
        }
    )
    kept = os.environ.get("MATRIX_DIR")  # keep the jobs' files there, to look at afterwards
    work = Path(kept) if kept else tmp_path_factory.mktemp("matrix")
    return run_jobs(keys, matrix_servers, work)


def job(matrix: Results, key: str) -> JobResult:
    result = matrix[key]
    if isinstance(result, str):
        pytest.fail(result, pytrace=False)
    return result
