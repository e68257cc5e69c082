"""The worker archives closed matters in the warehouse (chdb) and revives them by id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from minqing.config import Config
from minqing.records import Accepted
from minqing.regions import Regions
from models.matter_state import matter_id_for
from streams.pipeline import Pipeline
from warehouse.backend import Backend
from warehouse.matter_archive import ArchiveStore
from warehouse.migrations import migrate

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VILLAGE = "330681109290"  # 枫源村, 枫桥镇
DRAIN = {
    "title": "宏达化工厂夜间偷排废水，河水发黑发臭",
    "content": "村口宏达化工厂每天夜里往河里偷排废水，河水发黑发臭，村民不敢用水。",
}
AGAIN = {
    "title": "宏达化工厂又在偷排废水，河水发臭",
    "content": "村口宏达化工厂最近夜里又往河里偷排废水，河水发黑发臭，和去年一样。",
}
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "content": "安置房工地的包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}


def worker(config: Config, regions: Regions, backend: Backend) -> Pipeline:
    pipe = Pipeline(config, regions, "secret")
    pipe.use_archive(ArchiveStore(backend))
    pipe.rebuild([])
    return pipe


def test_a_closed_matter_comes_back_with_its_id_also_after_a_restart(
    config: Config, regions: Regions, make_accepted: Callable[..., Accepted],
    warehouse_backend: Callable[..., Backend],
) -> None:  # fmt: skip
    backend = warehouse_backend("chdb")
    migrate(backend)
    days = (0, 1, 100, 120)
    texts = (DRAIN, AGAIN, WAGES, AGAIN)
    items = [make_accepted(report_id=f"r{i}", informant_id=f"inf-{i}", region_code=VILLAGE,
                           received_at=T0 + timedelta(days=d), **t)
             for i, (d, t) in enumerate(zip(days, texts, strict=True))]  # fmt: skip
    live = worker(config, regions, backend)
    a, b, wages, back = [live.cluster(item) for item in items]
    assert b.matter.matter_id == a.matter.matter_id
    assert wages.new_matter and wages.matter.matter_id != a.matter.matter_id
    assert back.matter.matter_id == a.matter.matter_id and not back.new_matter
    assert back.merged_from == [matter_id_for("r3")]  # the matter r3 had opened, absorbed
    assert live.score(back).merged_from == back.merged_from  # on to the alerting input
    assert back.matter.n_reports == 3 and back.matter.first_seen == T0
    # A new worker refolds the window (the last two reports) and finds the same matters.
    restarted = worker(config, regions, backend)
    restarted.rebuild(items[2:])
    state = restarted.states["cluster"]
    assert state.seen["r3"] == a.matter.matter_id and state.seen["r2"] == wages.matter.matter_id
