"""Corrections (merge, move out) and splitting the state by block: pure and exact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from minqing.config import ClusteringConfig
from minqing.errors import ModelError
from minqing.records import Accepted
from models.cluster_ops import merge, move_out
from models.clustering import Clusterer, ClusterState, combine, extract

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
Make = Callable[..., Accepted]
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "category": "wage_arrears",
    "content": "包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}


def state_of(items: list[Accepted]) -> ClusterState:
    clusterer = Clusterer(ClusteringConfig())
    state = clusterer.init()
    for item in items:
        state, _ = clusterer.update(state, item)
    return state


def three_blocks(make: Make) -> list[Accepted]:
    return [
        make(report_id="a", region_code="330681109201"),
        make(report_id="b", region_code="330681109202", received_at=T0 + timedelta(hours=2)),
        make(report_id="c", region_code="330681110201", **WAGES),
        make(report_id="d", region_code=None, title="全市出租车乱收费", content=""),
    ]


def test_merge_makes_one_matter_and_keeps_the_older_id(make_accepted: Make) -> None:
    state = state_of(
        [
            make_accepted(report_id="a"),
            make_accepted(report_id="w", received_at=T0 + timedelta(days=1), **WAGES),
        ]
    )
    a, w = state.seen["a"], state.seen["w"]
    assert a != w
    state, matter = merge(state, w, a)
    assert matter.matter_id == a and matter.n_reports == 2 and matter.version == 2
    assert state.aliases == {w: a} and state.matter(w) is state.matter(a)
    assert merge(state, a, w)[1].n_reports == 2  # already one: nothing changes
    with pytest.raises(ModelError):
        merge(state, a, "M000000000000")


def test_move_out_rebuilds_the_rest_and_opens_a_matter(make_accepted: Make) -> None:
    state = state_of(
        [
            make_accepted(report_id="a"),
            make_accepted(report_id="b", received_at=T0 + timedelta(hours=1)),
        ]
    )
    assert state.seen["a"] == state.seen["b"]
    original = state.seen["a"]
    state, (rest, alone) = move_out(state, "a")
    assert rest.matter_id == original and rest.n_reports == 1 and rest.version == 3
    assert alone.n_reports == 1 and alone.matter_id not in (original,)
    assert state.seen == {"b": original, "a": alone.matter_id}
    assert ClusterState.from_json(state.to_json()).to_json() == state.to_json()
    with pytest.raises(ModelError):
        move_out(state, "nobody")


def test_blocks_split_and_join_back_exactly(make_accepted: Make) -> None:
    state = state_of(three_blocks(make_accepted))
    assert sorted(state.blocks) == ["", "330681109", "330681110"]
    parts = [extract(state, [b]) for b in sorted(state.blocks)]
    assert [p.n_matters() for p in parts] == [1, 1, 1]
    joined = combine(reversed(parts))
    assert joined.to_json() == state.to_json()
    assert ClusterState.from_json(parts[1].to_json()).to_json() == parts[1].to_json()


def test_a_block_state_keeps_clustering_like_the_whole(make_accepted: Make) -> None:
    items = three_blocks(make_accepted)
    clusterer = Clusterer(ClusteringConfig())
    whole = state_of(items)
    part = combine([extract(whole, ["330681109", ""])])
    follow = make_accepted(report_id="e", region_code="330681109201",
                           received_at=T0 + timedelta(hours=3))  # fmt: skip
    _, out_whole = clusterer.update(whole, follow)
    _, out_part = clusterer.update(part, follow)
    assert out_whole.matter == out_part.matter
