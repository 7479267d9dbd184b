"""The cycle collector is paused only for the bulk work, and always comes back."""

from __future__ import annotations

import gc
from fractions import Fraction

import pytest

from hitrecord.gcpause import paused, pausing
from payouts.split import CutItem, Node, credits


@pytest.fixture(autouse=True)
def _collector_on():
    was_on = gc.isenabled()
    gc.enable()
    yield
    if not was_on:
        gc.disable()


def test_the_collector_is_off_inside_and_back_after_an_error():
    seen = []

    @pausing
    def work(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad input")

    work(False)
    with pytest.raises(ValueError, match="bad input"):
        work(True)
    assert seen == [False, False]
    assert gc.isenabled()


def test_nesting_keeps_it_off_until_the_outer_block_ends():
    with paused():
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_the_credit_walk_and_its_explanations_leave_it_on():
    graph = {1: Node(1, 10, "Remix", ((2, 1000),)), 2: Node(2, 20, "Source")}
    result = credits([CutItem(1, 1000)], graph, upstream_share=Fraction(1, 2))
    assert gc.isenabled()
    assert result.explanation(20)[0]["kept"] == "0.500000000000"
    assert gc.isenabled()
    with pytest.raises(ValueError, match="not in the graph"):
        credits([CutItem(3, 1000)], graph, upstream_share=Fraction(1, 2))
    assert gc.isenabled()
