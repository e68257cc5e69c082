"""The consumer never commits over a message it has read but not processed."""

from __future__ import annotations

import doctest

from intervaltree import IntervalTree

import streams.app
from streams.app import in_flight_at_head


def test_doctests() -> None:
    assert doctest.testmod(streams.app).failed == 0


def test_a_head_message_still_in_flight_holds_the_commit() -> None:
    # Faust's own check lets exactly this through (min(acked) - committed == 1).
    assert in_flight_at_head(2585, [2586, 2587, 2588, 2589], IntervalTree())


def test_processed_head_and_known_gaps_let_the_commit_through() -> None:
    assert not in_flight_at_head(2585, [2585, 2586], IntervalTree())
    assert not in_flight_at_head(None, [7, 8], IntervalTree())  # nothing committed yet
    assert not in_flight_at_head(5, [], IntervalTree())
    # Offsets the fetcher found missing (compaction, control records) are Faust's to fill.
    assert not in_flight_at_head(5, [8], IntervalTree.from_tuples([(5, 8)]))
