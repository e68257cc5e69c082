"""The baseline clusterer (now a benchmark reference): which reports make one matter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import numpy as np

from minqing.config import ClusteringConfig
from minqing.records import Accepted, MatterUpdate
from models.baseline_clustering import BaselineClusterer, BaselineState
from models.index import CentroidIndex
from models.vectors import SparseVec

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
FENGXI, CHENJIA, ZHAOJIA_CUN = "330681109201", "330681109202", "330681110201"
POLLUTION_2 = {
    "title": "上游化工厂偷排废水河水发臭",
    "content": "上游那家化工厂夜里偷排废水，河水发黑发臭，鱼都死了，请环保部门尽快来查。",
}
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "content": "安置房工地的包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}
Make = Callable[..., Accepted]


def feed(items: list[Accepted], days: float = 14) -> tuple[BaselineState, list[MatterUpdate]]:
    clusterer = BaselineClusterer(ClusteringConfig(window_days=days))
    state, outs = clusterer.init(), []
    for item in items:
        state, out = clusterer.update(state, item)
        outs.append(out)
    return state, outs


def test_same_matter_from_two_villages_of_a_township_joins(make_accepted: Make) -> None:
    _, (a, b) = feed([
        make_accepted(report_id="a", region_code=FENGXI, people_involved=30),
        make_accepted(report_id="b", region_code=CHENJIA, informant_id="inf-2",
                      received_at=T0 + timedelta(days=2), signals=["gathering"], **POLLUTION_2),
    ])  # fmt: skip
    assert a.new_matter and not b.new_matter
    assert b.matter.matter_id == a.matter.matter_id
    assert b.similarity >= ClusteringConfig().threshold
    m = b.matter
    assert (m.version, m.n_reports, m.n_informants, m.n_villages) == (2, 2, 2, 2)
    assert (m.people_max, m.signals, m.title) == (30, ["gathering"], a.matter.title)
    assert (m.first_seen, m.last_seen) == (T0, T0 + timedelta(days=2))
    assert m.township == "330681109" and m.county == "330681"
    assert any("废水" in k or "发臭" in k for k in m.keywords)


def test_matter_id_is_sha1_of_first_report(make_accepted: Make) -> None:
    _, (a,) = feed([make_accepted(report_id="first")])
    assert a.matter.matter_id == "M" + hashlib.sha1(b"first").hexdigest()[:12]


def test_different_problem_at_same_place_stays_separate(make_accepted: Make) -> None:
    _, (a, b) = feed([make_accepted(report_id="a"), make_accepted(report_id="b", **WAGES)])
    assert b.new_matter and b.matter.matter_id != a.matter.matter_id


def test_different_townships_stay_separate(make_accepted: Make) -> None:
    _, (a, b) = feed(
        [
            make_accepted(report_id="a", region_code=FENGXI),
            make_accepted(report_id="b", region_code=ZHAOJIA_CUN),
        ]
    )
    assert b.new_matter and b.matter.township == "330681110"
    assert a.matter.matter_id != b.matter.matter_id


def test_window_expiry_opens_a_new_matter_and_evicts(make_accepted: Make) -> None:
    state, (a, b) = feed(
        [
            make_accepted(report_id="a"),
            make_accepted(report_id="b", received_at=T0 + timedelta(days=15)),
        ]
    )
    assert b.new_matter and b.matter.matter_id != a.matter.matter_id
    assert list(state.matters) == [b.matter.matter_id]
    assert "a" not in state.seen


def test_within_window_still_joins(make_accepted: Make) -> None:
    _, (_, b) = feed(
        [
            make_accepted(report_id="a"),
            make_accepted(report_id="b", received_at=T0 + timedelta(days=13)),
        ]
    )
    assert not b.new_matter


def test_unplaced_reports_cluster_by_text(make_accepted: Make) -> None:
    _, (a, b, c, d) = feed(
        [
            make_accepted(report_id="a", region_code=None),
            make_accepted(report_id="b", region_code=None, **POLLUTION_2),
            make_accepted(report_id="c", region_code=None, **WAGES),
            make_accepted(report_id="d", region_code=FENGXI, **WAGES),
        ]
    )
    assert b.matter.matter_id == a.matter.matter_id and a.matter.township is None
    assert c.new_matter
    # A placed report only joins matters of its own township.
    assert d.new_matter


def test_unplaced_report_joins_a_placed_matter(make_accepted: Make) -> None:
    _, (a, b) = feed(
        [
            make_accepted(report_id="a"),
            make_accepted(report_id="b", region_code=None, **POLLUTION_2),
        ]
    )
    assert b.matter.matter_id == a.matter.matter_id
    assert b.matter.n_villages == 1


def test_redelivered_report_is_not_counted_twice(make_accepted: Make) -> None:
    item = make_accepted(report_id="a")
    _, (a, again) = feed([item, item])
    assert again.matter == a.matter and not again.new_matter


def test_category_is_the_most_common_known_one(make_accepted: Make) -> None:
    _, outs = feed(
        [
            make_accepted(report_id="a", category=None),
            make_accepted(report_id="b", category="other", informant_id="x"),
            make_accepted(report_id="c", category="environment", informant_id="y"),
            make_accepted(report_id="d", category="environment", informant_id="x"),
        ]
    )
    assert outs[0].matter.category is None
    assert outs[-1].matter.category == "environment"
    assert outs[-1].matter.n_informants == 3


def test_report_without_text_features_opens_its_own_matter(make_accepted: Make) -> None:
    blank = make_accepted(report_id="b", title="？", content="")
    _, (_, b) = feed([make_accepted(report_id="a"), blank])
    assert b.new_matter and b.similarity == 0.0


def dense(v: SparseVec) -> np.ndarray:
    out = np.zeros(5000)
    out[v.idx] = v.val
    return out


class FakeMatter:
    def __init__(self, i: int, rng: np.random.Generator) -> None:
        idx = np.unique(rng.integers(0, 5000, 300))
        self.matter_id, self.stamp = f"M{i}", i
        self.total = SparseVec(idx, rng.random(idx.size))


def test_index_gives_bit_identical_dot_products() -> None:
    rng = np.random.default_rng(7)
    matters = [FakeMatter(i, rng) for i in range(50)]
    q = matters[0].total
    index = CentroidIndex()
    direct = index.dots(q, matters)  # nothing indexed yet: all computed directly
    index.rebuild(matters[:30])
    matters[3].stamp = 99  # changed since the rebuild: computed directly again
    mixed = index.dots(q, matters)
    assert direct.tobytes() == mixed.tobytes()
    assert np.allclose(direct, [dense(q) @ dense(m.total) for m in matters])
    matters[12].total = matters[40].total  # a new centroid, under a new stamp
    matters[12].stamp = 100
    index.rebuild(matters[5:])  # merges kept entries with changed and new ones
    merged = index.dots(q, matters[5:])
    expected = CentroidIndex().dots(q, matters[5:])
    assert merged.tobytes() == expected.tobytes()
