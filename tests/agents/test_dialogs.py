"""Dialogs: which dialogRequestIds are stale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clova_client.agents.dialogs import Dialogs, DialogVerdict


def test_verdicts() -> None:
    d = Dialogs()
    assert d.verdict(None) is DialogVerdict.NONE
    assert d.verdict("never-seen") is DialogVerdict.CLOUD
    own = d.mint()
    assert d.verdict(own) is DialogVerdict.OWN
    assert d.begin("v1") is None
    assert d.verdict("v1") is DialogVerdict.CURRENT
    assert d.begin("v2") == "v1"
    assert d.verdict("v1") is DialogVerdict.SUPERSEDED
    assert d.verdict("v2") is DialogVerdict.CURRENT
    assert d.verdict(own) is DialogVerdict.OWN  # the player's own requests never go stale


def test_announcing_the_current_dialog_again_changes_nothing() -> None:
    d = Dialogs()
    d.begin("v1")
    assert d.begin("v1") is None
    assert d.verdict("v1") is DialogVerdict.CURRENT


def test_a_superseded_id_announced_again_is_current_again() -> None:
    d = Dialogs()
    d.begin("v1")
    d.begin("v2")
    d.begin("v1")
    assert d.verdict("v1") is DialogVerdict.CURRENT
    assert d.verdict("v2") is DialogVerdict.SUPERSEDED


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201, "a\nb", 7, None])
def test_bad_ids_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="dialogRequestId"):
        Dialogs().begin(bad)  # type: ignore[arg-type]


@given(st.lists(st.text(alphabet="abcdef0123456789", min_size=1, max_size=8), max_size=60))
def test_memory_is_bounded_and_only_older_dialogs_are_stale(ids: list[str]) -> None:
    d = Dialogs(remembered=16)
    for value in ids:
        d.begin(value)
    assert len(d._superseded) <= 16
    if ids:
        assert d.verdict(ids[-1]) is DialogVerdict.CURRENT
        stale = {v for v in ids[-17:] if v != ids[-1]}
        assert all(d.verdict(v) is DialogVerdict.SUPERSEDED for v in stale)
