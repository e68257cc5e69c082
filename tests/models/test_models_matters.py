"""The matter clusterer: which reports make one matter, what the matter says, and its state."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import numpy.typing as npt

from minqing.config import ClusteringConfig
from minqing.records import Accepted, MatterUpdate
from minqing.regions import Regions
from models.clustering import Clusterer, ClusterState

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
FENGXI, CHENJIA, ZHAOJIA_CUN = "330681109201", "330681109202", "330681110201"
POLLUTION = {
    "title": "宏达化工厂夜间偷排废水，河水发黑发臭",
    "content": "村口宏达化工厂每天夜里往河里偷排废水，河水发黑发臭，村民不敢用水。",
}
POLLUTION_2 = {
    "title": "上游宏达化工厂偷排废水河水发臭",
    "content": "上游那家宏达化工厂夜里偷排废水，河水发黑发臭，鱼都死了，请环保部门尽快来查。",
}
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "content": "安置房工地的包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}
Make = Callable[..., Accepted]


# The tiny region table of conftest.py: its village names are places, not matter words.
PLACES = Regions.from_rows([
    ("330681109", "枫桥镇", "330681", "township"),
    ("330681109201", "枫溪村村民委员会", "330681109", "village"),
    ("330681109202", "陈家村村民委员会", "330681109", "village"),
])  # fmt: skip


def feed(items: list[Accepted], **cfg: Any) -> tuple[ClusterState, list[MatterUpdate]]:
    clusterer = Clusterer(ClusteringConfig(**cfg), PLACES)
    state, outs = clusterer.init(), []
    for item in items:
        state, out = clusterer.update(state, item)
        outs.append(out)
    return state, outs


def later(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_same_matter_from_two_villages_joins(make_accepted: Make) -> None:
    _, (a, b) = feed([
        make_accepted(report_id="a", region_code=FENGXI, people_involved=30, **POLLUTION),
        make_accepted(report_id="b", region_code=CHENJIA, informant_id="inf-2",
                      received_at=later(2), signals=["gathering"], **POLLUTION_2),
    ])  # fmt: skip
    assert a.new_matter and not b.new_matter and b.matter.matter_id == a.matter.matter_id
    m = b.matter
    assert (m.version, m.n_reports, m.n_informants, m.n_villages) == (2, 2, 2, 2)
    assert (m.people_max, m.signals, m.township) == (30, ["gathering"], "330681109")
    assert (m.first_seen, m.last_seen) == (T0, later(2))
    assert m.title in (a.matter.title, POLLUTION_2["title"])
    assert any("废水" in k for k in m.keywords)


def test_matter_id_is_sha1_of_first_report(make_accepted: Make) -> None:
    _, (a,) = feed([make_accepted(report_id="first")])
    assert a.matter.matter_id == "M" + hashlib.sha1(b"first").hexdigest()[:12]


def test_traditional_full_width_and_typo_wordings_join(make_accepted: Make) -> None:
    base = {"title": "景蓉华苑物业乱收停车费", "category": "property_management",
            "content": "景蓉华苑物业每月乱收300元停车费。"}  # fmt: skip
    variant = {"title": "景蓉花苑物業亂收停車費", "category": "property_management",
               "content": "景蓉花苑物業每月亂收３００元停車費。"}  # fmt: skip
    _, (a, b) = feed([make_accepted(report_id="a", **base),
                      make_accepted(report_id="b", received_at=later(1), **variant)])  # fmt: skip
    assert b.matter.matter_id == a.matter.matter_id


def test_different_problem_or_numbered_plot_stays_separate(make_accepted: Make) -> None:
    plot = "反映大唐街道旧城改造{}号地块延期交房"
    _, outs = feed([
        make_accepted(report_id="a"),
        make_accepted(report_id="b", category="wage_arrears", **WAGES),
        make_accepted(report_id="c", category="demolition", title=plot.format(9), content=""),
        make_accepted(report_id="d", category="demolition", title=plot.format(2), content=""),
    ])  # fmt: skip
    assert all(o.new_matter for o in outs)


def test_township_blocks_and_neighbours(make_accepted: Make) -> None:
    items = [
        make_accepted(report_id="a", region_code=FENGXI),
        make_accepted(report_id="b", region_code=ZHAOJIA_CUN, received_at=later(1)),
    ]
    _, (a, b) = feed(items)
    assert b.new_matter and b.matter.township == "330681110"  # another township: not compared
    clusterer = Clusterer(ClusteringConfig(neighbours={"330681109": ["330681110"]}))
    state, _ = clusterer.update(clusterer.init(), items[0])
    r = clusterer.read(state, items[1], "b")
    assert [m.matter_id for m in clusterer.candidates(state, r)] == [a.matter.matter_id]


def test_unplaced_report_joins_and_an_unplaced_matter_takes_a_place(make_accepted: Make) -> None:
    state, (a, b, c) = feed([
        make_accepted(report_id="a", region_code=None, **POLLUTION),
        make_accepted(report_id="b", region_code=None, received_at=later(1), **POLLUTION_2),
        make_accepted(report_id="c", region_code=FENGXI, received_at=later(2), **POLLUTION),
    ])  # fmt: skip
    assert a.matter.township is None and b.matter.matter_id == a.matter.matter_id
    assert c.matter.matter_id == a.matter.matter_id and c.matter.township == "330681109"
    assert list(state.blocks) == ["330681109"]


def test_window_expiry_and_block_cap_evict(make_accepted: Make) -> None:
    state, (_, b) = feed([make_accepted(report_id="a"),
                          make_accepted(report_id="b", received_at=later(8))],
                         matter_window_days=7)  # fmt: skip
    assert b.new_matter and state.n_matters() == 1 and "a" not in state.seen
    titles = ["枫溪村路灯不亮", "枫溪村自来水停了", "枫溪村垃圾没人清", "枫溪村桥断了"]
    items = [make_accepted(report_id=f"r{i}", title=t, content="", category=None,
                           received_at=later(i / 24)) for i, t in enumerate(titles)]  # fmt: skip
    state, outs = feed(items, max_open_per_block=2)
    assert all(o.new_matter for o in outs)  # four problems of one village: four matters
    assert state.n_matters() == 3 and "r0" not in state.seen


def test_redelivered_report_is_not_counted_twice(make_accepted: Make) -> None:
    item = make_accepted(report_id="a")
    _, (a, again) = feed([item, item])
    assert again.matter == a.matter and not again.new_matter


def test_people_estimated_from_text_when_not_given(make_accepted: Make) -> None:
    _, (a,) = feed([make_accepted(report_id="a", people_involved=None,
                                  content="村口化工厂偷排废水，已有30多户村民反映。")])  # fmt: skip
    assert a.matter.people_max == 30


def test_candidates_stay_bounded(make_accepted: Make) -> None:
    items = [make_accepted(report_id=f"r{i}", title=f"枫溪村第{i}号水塘化工厂偷排废水",
                           received_at=later(i / 100)) for i in range(60)]  # fmt: skip
    clusterer = Clusterer(ClusteringConfig(match_threshold=1.1, max_candidates=4, posting_cap=8))
    state = clusterer.init()
    for item in items:
        state, _ = clusterer.update(state, item)
    r = clusterer.read(state, make_accepted(report_id="q", received_at=later(1)), "q")
    assert state.n_matters() == 60 and len(clusterer.candidates(state, r)) <= 4


class FixedMatcher:
    """Stands in for the fitted matcher: the given probabilities, best first."""

    def __init__(self, probs: list[float]) -> None:
        self.probs = probs

    def probabilities(self, x: npt.NDArray[np.float64], placed: bool) -> npt.NDArray[np.float64]:
        return np.array(self.probs[: len(x)], dtype=np.float64)


def test_a_bridging_report_merges_two_matters(make_accepted: Make) -> None:
    clusterer = Clusterer(ClusteringConfig(match_threshold=0.5, merge_threshold=0.9), PLACES)
    clusterer.matcher = FixedMatcher([0.1])  # type: ignore[assignment]
    state = clusterer.init()
    state, a = clusterer.update(state, make_accepted(report_id="a", **POLLUTION))
    state, b = clusterer.update(state, make_accepted(report_id="b", received_at=later(1),
                                                     **POLLUTION_2))  # fmt: skip
    assert b.new_matter
    clusterer.matcher = FixedMatcher([0.99, 0.95])  # type: ignore[assignment]
    state, c = clusterer.update(state, make_accepted(report_id="c", received_at=later(2)))
    assert c.matter.matter_id == a.matter.matter_id and c.matter.n_reports == 3
    assert c.merged_from == [b.matter.matter_id] and a.merged_from == b.merged_from == []
    assert state.moved == ["b"]  # only b changed matter: a's id survives
    assert state.aliases == {b.matter.matter_id: a.matter.matter_id}
    assert state.n_matters() == 1 and set(state.seen) == {"a", "b", "c"}
    restored = ClusterState.from_json(state.to_json())
    assert restored.to_json() == state.to_json()
    assert restored.matter(b.matter.matter_id) is restored.matter(a.matter.matter_id)


def test_merged_from_names_every_id_merged_away_also_the_one_joined(
    make_accepted: Make,
) -> None:
    """The report joins the newest matter and bridges it to two older ones: the oldest id
    survives, so the matter it joined is merged away too."""
    clusterer = Clusterer(ClusteringConfig(match_threshold=0.5, merge_threshold=0.9), PLACES)
    clusterer.matcher = FixedMatcher([0.1, 0.1])  # type: ignore[assignment]
    state = clusterer.init()
    opened = []
    for i, text in enumerate([POLLUTION, POLLUTION_2, WAGES]):
        state, u = clusterer.update(state, make_accepted(report_id=f"r{i}",
                                                         received_at=later(i), **text))  # fmt: skip
        opened.append(u.matter.matter_id)
    assert state.n_matters() == 3
    found = clusterer.candidates
    clusterer.candidates = lambda st, r: sorted(  # type: ignore[method-assign,assignment]
        found(st, r), key=lambda m: m.first_at, reverse=True
    )
    clusterer.matcher = FixedMatcher([0.99, 0.95, 0.92])  # type: ignore[assignment]
    state, u = clusterer.update(state, make_accepted(report_id="x", received_at=later(3)))
    assert u.matter.matter_id == opened[0] and u.matter.n_reports == 4 and not u.new_matter
    assert u.merged_from == [opened[2], opened[1]]  # the joined (newest) one, then the next
    assert set(state.moved) == {"r1", "r2", "x"}  # every report that changed id, not r0
    assert all(state.matter(m) is state.matter(opened[0]) for m in opened)
    state, again = clusterer.update(state, make_accepted(report_id="x", received_at=later(3)))
    assert again.merged_from == [] and state.moved == []  # a redelivery merges nothing
