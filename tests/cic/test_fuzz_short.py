"""A short seeded run of the fuzzing bench (bench/fuzz.py): the real daemon on the FakeBackend,
in its own process, against the hostile h2c peer. The full run is 100,000 cases."""

from __future__ import annotations

import pytest

from bench.fuzz import CHECK_EVERY, fuzz

SHORT_CASES = 2000
SEED = 12


@pytest.mark.timeout(300)
async def test_a_short_seeded_fuzz_run_leaves_the_daemon_alive_and_quiet() -> None:
    tally = await fuzz(SHORT_CASES, SEED)
    failures = (tally.crashes, tally.hangs, tally.liveness_failures)
    assert failures == (0, 0, 0), tally
    assert (tally.tracebacks_logged, tally.events_dropped) == (0, 0), tally
    assert tally.cases == SHORT_CASES
    assert tally.checks == 1 + SHORT_CASES // CHECK_EVERY  # one before the cases, one per 1000
    assert tally.channels > 1  # framing faults ended channels, and the client reopened them
