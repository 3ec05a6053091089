"""Backoff: exact delays under an injected random source; cap; reset after a stable connection."""

from __future__ import annotations

import random

import pytest

from clova_client.cic.backoff import Backoff, BackoffPolicy

from .helpers import HighRandom


class LowRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def test_upper_bounds_double_from_250_ms_to_the_64_s_cap() -> None:
    b = Backoff(BackoffPolicy(), HighRandom(), stable_after_s=30)
    delays = [b.next_delay() for _ in range(12)]
    assert delays == [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 64, 64, 64]


def test_lower_bounds_are_067_of_nominal_and_capped() -> None:
    b = Backoff(BackoffPolicy(), LowRandom(), stable_after_s=30)
    delays = [b.next_delay() for _ in range(11)]
    nominal = 0.25 / 1.5
    assert delays[:10] == pytest.approx([nominal * 0.67 * 2**n for n in range(10)])
    assert delays[10] == 64.0


def test_exact_sequence_with_seeded_random() -> None:
    b = Backoff(BackoffPolicy(), random.Random(42), stable_after_s=30)
    delays = [round(b.next_delay(), 6) for _ in range(12)]
    assert delays == [
        0.200121,
        0.230253,
        0.59885,
        1.140353,
        3.416723,
        6.568856,
        15.04543,
        15.83273,
        43.528325,
        59.283771,
        64.0,
        64.0,
    ]


def test_every_first_retry_is_at_most_250_ms() -> None:
    rng = random.Random(7)
    firsts = [Backoff(BackoffPolicy(), rng, 30).next_delay() for _ in range(1000)]
    assert max(firsts) <= 0.25
    assert min(firsts) >= 0.25 / 1.5 * 0.67


def test_reset_only_after_a_stable_connection() -> None:
    b = Backoff(BackoffPolicy(), HighRandom(), stable_after_s=30)
    assert [b.next_delay(), b.next_delay()] == [0.25, 0.5]
    b.connected(now=100.0)
    assert b.lost(now=129.9) is False  # up 29.9 s: keeps growing
    assert b.next_delay() == 1
    b.connected(now=200.0)
    assert b.lost(now=230.0) is True  # up 30 s: start over
    assert b.next_delay() == 0.25
    assert b.lost(now=300.0) is False  # lost without a connection in between


def test_retry_after_raises_the_delay_but_not_past_the_cap() -> None:
    b = Backoff(BackoffPolicy(), HighRandom(), stable_after_s=30)
    assert b.next_delay(minimum=5) == 5
    assert b.next_delay(minimum=500) == 64


def test_no_overflow_after_many_failures() -> None:
    b = Backoff(BackoffPolicy(), random.Random(1), stable_after_s=30)
    for _ in range(5000):
        assert 0 < b.next_delay() <= 64


@pytest.mark.parametrize(
    "kwargs", [{"first_s": 0}, {"first_s": 100, "cap_s": 64}, {"factor": 0.5}, {"jitter_low": 2}]
)
def test_bad_policy_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(**kwargs)
