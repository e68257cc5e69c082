"""Closed matters come back: evicted to an archive, revived with their id by a new report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from minqing.config import ClusteringConfig, Config
from minqing.records import Accepted, MatterUpdate
from minqing.regions import Regions
from models.cluster_ops import link_apart
from models.clustering import Clusterer, ClusterState, Evicted
from models.matter_state import matter_id_for
from models.replay import replay

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
FENGXI = "330681109201"
PLACES = Regions.from_rows([
    ("330681109", "枫桥镇", "330681", "township"),
    ("330681109201", "枫溪村村民委员会", "330681109", "village"),
])  # fmt: skip
POLLUTION = {
    "title": "宏达化工厂夜间偷排废水，河水发黑发臭",
    "content": "村口宏达化工厂每天夜里往河里偷排废水，河水发黑发臭，村民不敢用水。",
}
POLLUTION_AGAIN = {
    "title": "宏达化工厂又在偷排废水，河水发臭",
    "content": "村口宏达化工厂最近夜里又往河里偷排废水，河水发黑发臭，和去年一样。",
}
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "content": "安置房工地的包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}
Make = Callable[..., Accepted]


class Archive:
    """What the warehouse does for the worker (warehouse/matter_archive.py), in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, Evicted] = {}

    def store(self, records: list[Evicted]) -> None:
        for e in records:
            if e.matter_id not in self.rows or self.rows[e.matter_id].version <= e.version:
                self.rows[e.matter_id] = e

    def lookup(self, towns: tuple[str, ...], keys: tuple[int, ...], limit: int) -> list[Evicted]:
        shared = {i: len(set(keys) & set(e.keys)) for i, e in self.rows.items()
                  if not towns or e.block in towns}  # fmt: skip
        best = sorted((i for i, n in shared.items() if n), key=lambda i: (-shared[i], i))
        return [self.rows[i] for i in best[:limit]]


def run(clusterer: Clusterer, archive: Archive, items: list[Accepted]) -> list[MatterUpdate]:
    """The worker's loop: update, store what was evicted, look a new matter up, revive."""
    state: ClusterState = clusterer.init()
    outs = []
    for item in items:
        state, update = clusterer.update(state, item)
        archive.store(clusterer.take_evicted(state))
        q = clusterer.archive_query(state, update)
        if q is not None:
            state, update = clusterer.revive(state, update, archive.lookup(*q))
        outs.append(update)
    return outs


def clusterer() -> Clusterer:
    c = Clusterer(ClusteringConfig(matter_window_days=30), PLACES)
    c.archive = True
    return c


def test_an_evicted_matter_is_revived_with_its_id(make_accepted: Make) -> None:
    archive = Archive()
    a, b, other, back = run(clusterer(), archive, [
        make_accepted(report_id="a", region_code=FENGXI, **POLLUTION),
        make_accepted(report_id="b", region_code=FENGXI, received_at=T0 + timedelta(days=2),
                      informant_id="inf-2", **POLLUTION_AGAIN),
        make_accepted(report_id="w", region_code=FENGXI, received_at=T0 + timedelta(days=60),
                      **WAGES),
        make_accepted(report_id="c", region_code=FENGXI, received_at=T0 + timedelta(days=90),
                      informant_id="inf-3", **POLLUTION_AGAIN),
    ])  # fmt: skip
    assert b.matter.matter_id == a.matter.matter_id and not b.new_matter
    assert list(archive.rows) == [a.matter.matter_id]  # evicted when the clock passed 30 days
    assert other.new_matter and other.matter.matter_id != a.matter.matter_id
    assert back.matter.matter_id == a.matter.matter_id and not back.new_matter
    assert back.merged_from == [matter_id_for("c")]  # the matter "c" had just opened
    assert other.merged_from == []
    assert back.matter.n_reports == 3 and back.matter.version == b.matter.version + 1
    assert back.matter.first_seen == T0 and back.matter.last_seen == T0 + timedelta(days=90)


def test_a_different_problem_does_not_revive(make_accepted: Make) -> None:
    archive = Archive()
    a, w = run(clusterer(), archive, [
        make_accepted(report_id="a", region_code=FENGXI, **POLLUTION),
        make_accepted(report_id="w", region_code=FENGXI, received_at=T0 + timedelta(days=60),
                      **WAGES),
    ])  # fmt: skip
    assert list(archive.rows) == [a.matter.matter_id]
    assert w.new_matter and w.matter.matter_id != a.matter.matter_id


def test_revived_state_round_trips_and_redelivery_is_known(make_accepted: Make) -> None:
    c, archive = clusterer(), Archive()
    items = [make_accepted(report_id="a", region_code=FENGXI, **POLLUTION),
             make_accepted(report_id="c", region_code=FENGXI, received_at=T0 + timedelta(days=90),
                           **POLLUTION_AGAIN)]  # fmt: skip
    a, back = run(c, archive, items)
    assert back.matter.matter_id == a.matter.matter_id
    state = c.init()
    for item in items:  # replayed without the archive: no revival, the evicted kept apart
        state, _ = c.update(state, item)
    evicted = c.take_evicted(state)
    assert [e.matter_id for e in evicted] == [a.matter.matter_id]
    revived = ClusterState.from_json(state.to_json())
    revived.restore(evicted[0])
    _, again = c.update(revived, items[0])
    assert again.matter.matter_id == a.matter.matter_id and again.similarity == 1.0


def test_without_archive_nothing_is_kept(make_accepted: Make) -> None:
    c = Clusterer(ClusteringConfig(matter_window_days=30), PLACES)
    state = c.init()
    for i, days in enumerate((0, 40)):
        item = make_accepted(report_id=f"r{i}", region_code=FENGXI,
                             received_at=T0 + timedelta(days=days))  # fmt: skip
        state, _ = c.update(state, item)
    assert state.evicted == [] and c.take_evicted(state) == []


def test_replay_revives_too(config: Config, regions: Regions) -> None:
    rows = [{"report_id": rid, "informant_id": f"i-{rid}", "region_code": FENGXI,
             "category": "environment", "received_at": (T0 + timedelta(days=d)).isoformat(), **t}
            for rid, d, t in (("a", 0, POLLUTION), ("b", 2, POLLUTION_AGAIN),
                              ("w", 100, WAGES), ("c", 120, POLLUTION_AGAIN))]  # fmt: skip
    out = {o["report_id"]: o["matter_id"] for o in replay(rows, config, regions)}
    assert out["a"] == out["b"] == out["c"] != out["w"]


def test_a_matter_kept_apart_is_not_revived(make_accepted: Make) -> None:
    """An analyst's cannot-link outlives the eviction: the report keeps the matter it opened."""
    c, archive = clusterer(), Archive()
    state = c.init()
    link_apart(state, "c", ["a"])
    items = [make_accepted(report_id="a", region_code=FENGXI, **POLLUTION),
             make_accepted(report_id="c", region_code=FENGXI, received_at=T0 + timedelta(days=90),
                           **POLLUTION_AGAIN)]  # fmt: skip
    for item in items:
        state, update = c.update(state, item)
        archive.store(c.take_evicted(state))
        q = c.archive_query(state, update)
        if q is not None:
            state, update = c.revive(state, update, archive.lookup(*q))
    assert update.new_matter and update.matter.matter_id == matter_id_for("c")
    assert update.merged_from == [] and state.matter(matter_id_for("a")) is None
