"""The corrections agent (Faust test context) and corrections surviving a worker restart.

The worker's correction log is an in-memory stand-in for warehouse/corrections.py's
``CorrectionStore`` (tested on both engines in tests/warehouse); topics' ``send``
is replaced by a recorder, as in test_agents.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import faust
import numpy as np
import numpy.typing as npt
import pytest

from minqing.config import Config
from minqing.records import Accepted, Correction, DeadLetter, Matter, MatterUpdate, Report
from minqing.regions import Regions
from minqing.settings import Settings
from streams.app import create_app
from streams.escalation import seen_of
from streams.pipeline import Pipeline
from warehouse import corrections
from warehouse.backend import Backend
from warehouse.corrections import CorrectionStore
from warehouse.migrations import migrate
from warehouse.window import window_reports
from warehouse.writer import WarehouseWriter

VILLAGE = "330681109290"  # 枫源村, 枫桥镇
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Log:
    """What the warehouse keeps of corrections, in memory."""

    saved: dict[str, Correction] = field(default_factory=dict)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (report id, matter id)

    def applied_since(self, since: datetime) -> list[Correction]:
        return [c for c in self.saved.values()
                if c.status == "applied" and c.as_of and c.as_of >= since]  # fmt: skip

    def save(self, c: Correction) -> None:
        self.saved[c.correction_id] = c

    def moved(self, rows: list[tuple[Accepted, Matter]], at: datetime) -> None:
        self.rows += [(a.report.report_id or "", m.matter_id) for a, m in rows]


@dataclass
class Rig:
    app: faust.App
    pipeline: Pipeline
    log: Log
    sent: dict[str, list[tuple[bytes, bytes]]]

    async def wait(self, stage: str, n: int) -> None:
        deadline = asyncio.get_running_loop().time() + 10
        while len(self.sent[stage]) < n:
            assert asyncio.get_running_loop().time() < deadline, (stage, self.sent[stage])
            await asyncio.sleep(0.01)

    def updates(self) -> list[MatterUpdate]:
        return [MatterUpdate.model_validate_json(v) for _, v in self.sent["matters"]]


def recorder(into: list[tuple[bytes, bytes]]) -> Callable[..., Awaitable[None]]:
    async def send(*, key: bytes, value: bytes, **_: Any) -> None:
        into.append((key, value))

    return send


@pytest.fixture
def rig(settings_factory: Callable[..., Settings], unique: Callable[[str], str], config: Config,
        regions: Regions, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Rig]:  # fmt: skip
    def make() -> Rig:
        pipeline = Pipeline(config, regions, "secret")
        pipeline.corrections = log = Log()
        s = settings_factory(app_id=unique("t"))
        app, topics = create_app(s, pipeline, prefix=unique("p") + ".")
        app.finalize()
        app.flow_control.resume()
        sent: dict[str, list[tuple[bytes, bytes]]] = {"matters": [], "dlq": []}
        for stage in sent:
            monkeypatch.setattr(getattr(topics, stage), "send", recorder(sent[stage]))
        return Rig(app, pipeline, log, sent)

    return make


def look_alikes(make_report: Callable[..., Report], regions: Regions, *ids: str,
                start: int = 0) -> list[Accepted]:  # fmt: skip
    """The same dispute in one village, an hour apart: the clusterer joins them all."""
    out = []
    for i, rid in enumerate(ids):
        r = make_report(report_id=rid, informant_id=f"inf-{rid}", region_code=VILLAGE,
                        received_at=T0 + timedelta(hours=start + i), category="environment",
                        title="化工厂夜间偷排废水，河水发黑发臭",
                        content="村口化工厂每天夜里往河里偷排废水，河水发黑发臭。")  # fmt: skip
        out.append(Accepted(report=r, place=regions.locate(r.region_code, r.region_text)))
    return out


def move_out(matter_id: str, report_id: str, cid: str = "cor-1") -> Correction:
    return Correction(correction_id=cid, kind="move_out", matter_id=matter_id,
                      report_id=report_id, reason="两件事", actor="analyst_a", at=NOW)  # fmt: skip


def merge(matter_id: str, other: str, cid: str = "cor-m") -> Correction:
    return Correction(correction_id=cid, kind="merge", matter_id=matter_id, other=other,
                      reason="同一件事", actor="analyst_a", at=NOW)  # fmt: skip


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))  # type: ignore[arg-type]


def test_the_agent_applies_a_move_out_and_later_reports_respect_it(
    rig: Callable[[], Rig], make_report: Callable[..., Report], regions: Regions
) -> None:
    h = rig()
    first = look_alikes(make_report, regions, "a", "b")
    later = look_alikes(make_report, regions, "c", "d", start=3)

    async def go() -> None:
        async with h.app.agents["cluster"].test_context() as cluster:
            for item in first:
                await cluster.put(item.to_bytes())
            await h.wait("matters", 2)
        mid = h.updates()[0].matter.matter_id
        async with h.app.agents["correct"].test_context() as correct:
            await correct.put(b"not json")
            await correct.put(move_out(mid, "a").to_bytes())
            await h.wait("matters", 4)
            await correct.put(move_out(mid, "a").to_bytes())  # a redelivery: nothing more
            await h.wait("dlq", 1)
        async with h.app.agents["cluster"].test_context() as cluster:
            for item in later:
                await cluster.put(item.to_bytes())
            await h.wait("matters", 6)

    run(go())
    updates = h.updates()
    mid = updates[0].matter.matter_id
    rest, alone = updates[2], updates[3]
    assert rest.correction_id == alone.correction_id == "cor-1"
    assert rest.matter.matter_id == mid and rest.matter.n_reports == 1 and not rest.new_matter
    assert alone.new_matter and alone.accepted.report.report_id == "a"
    assert h.sent["matters"][3][0] == b"330681109"  # keyed by the matter's place
    verdict = h.log.saved["cor-1"]
    assert verdict.status == "applied" and verdict.apart == ["b"]
    assert h.log.rows == [("a", alone.matter.matter_id)]
    seen = h.pipeline.states["cluster"].seen
    assert seen["a"] != seen["b"]  # the look-alikes that came later did not pull it back
    assert {seen["c"], seen["d"]} <= {seen["a"], seen["b"]}
    assert len(updates) == 6
    assert DeadLetter.model_validate_json(h.sent["dlq"][0][1]).reason_en.startswith("not a")


def test_the_agent_sends_the_merged_matter_and_rejects_the_impossible(
    rig: Callable[[], Rig], make_report: Callable[..., Report], regions: Regions
) -> None:
    h = rig()
    items = look_alikes(make_report, regions, "a", "b")
    pipe = h.pipeline
    pipe.ready = True  # folded by hand: no restore
    for item in items:
        pipe.cluster(item)
    mid = pipe.states["cluster"].seen["a"]
    done = pipe.correct(move_out(mid, "b", "cor-0"))
    assert done is not None
    other = done.verdict.result[1]

    async def go() -> None:
        async with h.app.agents["cluster"].test_context() as cluster:  # fills the window
            for item in items:
                await cluster.put(item.to_bytes())
            await h.wait("matters", 2)
        async with h.app.agents["correct"].test_context() as correct:
            await correct.put(merge(other, mid).to_bytes())
            await h.wait("matters", 3)
            await correct.put(merge(mid, "M-nowhere", "cor-x").to_bytes())
            while "cor-x" not in h.log.saved:
                await asyncio.sleep(0.01)

    run(go())
    merged = h.updates()[2]
    assert merged.merged_from == [other] and merged.matter.matter_id == mid
    assert merged.matter.n_reports == 2 and merged.correction_id == "cor-m"
    assert h.log.rows == [("b", mid)]
    rejected = h.log.saved["cor-x"]
    assert rejected.status == "rejected" and "M-nowhere" in rejected.note
    assert len(h.sent["matters"]) == 3  # a rejected correction changes nothing


def live_then_restart(config: Config, regions: Regions, first: list[Accepted],
                      later: list[Accepted], fix: Callable[[Pipeline], Correction],
                      ) -> tuple[Pipeline, Pipeline]:  # fmt: skip
    """A worker clusters, is corrected, clusters more; a new one refolds the same reports."""
    log = Log()
    live = Pipeline(config, regions, "secret")
    live.corrections = log
    live.rebuild([])
    for item in first:
        live.cluster(item)
    done = live.correct(fix(live), NOW)
    assert done is not None and done.verdict.status == "applied"
    log.save(done.verdict)
    for item in later:
        live.cluster(item)
    restarted = Pipeline(config, regions, "secret")
    restarted.corrections = log
    restarted.rebuild([*later, *first])  # as the table or warehouse gives them back
    return live, restarted


def test_a_restarted_worker_re_applies_a_move_out(
    config: Config, regions: Regions, make_report: Callable[..., Report]
) -> None:
    first = look_alikes(make_report, regions, "a", "b")
    later = look_alikes(make_report, regions, "c", "d", start=3)

    def fix(p: Pipeline) -> Correction:
        return move_out(p.states["cluster"].seen["a"], "a")

    live, restarted = live_then_restart(config, regions, first, later, fix)
    seen = restarted.states["cluster"].seen
    assert seen == live.states["cluster"].seen and seen["a"] != seen["b"]
    assert restarted.states["cluster"].apart == live.states["cluster"].apart
    assert restarted.correct(fix(live)) is None  # the redelivered request: applied already


def test_a_restarted_worker_re_applies_a_merge(
    config: Config, regions: Regions, make_report: Callable[..., Report]
) -> None:
    water = look_alikes(make_report, regions, "a")
    wages = [
        Accepted(report=r, place=regions.locate(r.region_code, r.region_text))
        for r in [
            make_report(
                report_id="w",
                informant_id="inf-w",
                region_code=VILLAGE,
                received_at=T0 + timedelta(hours=1),
                category="wage_arrears",
                title="安置房工地拖欠农民工工资三个月",
                content="包工头拖欠二十多名农民工三个月工资。",
            )
        ]
    ]
    later = look_alikes(make_report, regions, "c", start=3)

    def fix(p: Pipeline) -> Correction:
        seen = p.states["cluster"].seen
        assert seen["a"] != seen["w"]
        return merge(seen["w"], seen["a"])

    live, restarted = live_then_restart(config, regions, [*water, *wages], later, fix)
    seen = restarted.states["cluster"].seen
    assert seen == live.states["cluster"].seen and seen["a"] == seen["w"] == seen["c"]


def test_a_correction_first_after_a_start_restores_the_state_first(
    rig: Callable[[], Rig], make_report: Callable[..., Report], regions: Regions
) -> None:
    h = rig()
    items = look_alikes(make_report, regions, "a", "b")
    asked: list[datetime] = []

    def history(since: datetime) -> list[Accepted]:
        asked.append(since)
        return items

    h.pipeline.history = history
    probe = Pipeline(h.pipeline.config, regions, "secret")
    probe.rebuild(items)
    mid = probe.states["cluster"].seen["a"]

    async def go() -> None:
        async with h.app.agents["correct"].test_context() as correct:
            await correct.put(move_out(mid, "b").to_bytes())
            while "cor-1" not in h.log.saved:
                await asyncio.sleep(0.01)

    run(go())
    assert len(asked) == 1 and h.pipeline.ready
    assert h.log.saved["cor-1"].status == "applied"
    seen = h.pipeline.states["cluster"].seen
    assert seen["a"] == mid and seen["b"] != mid
    assert h.sent["matters"] == []  # the reports are not in this worker's window table yet


@pytest.mark.parametrize("kind", ["chdb", "clickhouse"])
def test_a_worker_restarted_on_the_warehouse_re_applies_the_correction(
    kind: str, warehouse_backend: Callable[..., Backend], config: Config, regions: Regions,
    make_report: Callable[..., Report],
) -> None:  # fmt: skip
    """The whole way round on a real warehouse: reports and the verdict are read back."""
    backend = warehouse_backend(kind)
    migrate(backend)
    store, writer = CorrectionStore(backend), WarehouseWriter(backend)
    live = Pipeline(config, regions, "secret")
    live.corrections = store
    live.rebuild([])
    first = look_alikes(make_report, regions, "a", "b")
    later = look_alikes(make_report, regions, "c", "d", start=3)
    for item in first:
        writer.add_record(live.cluster(item))
    done = live.correct(move_out(live.states["cluster"].seen["a"], "a"), NOW)
    assert done is not None
    store.moved([(first[0], done.matters[1])], NOW)
    store.save(done.verdict)
    for item in later:
        writer.add_record(live.cluster(item))
    writer.flush()
    restarted = Pipeline(config, regions, "secret")
    restarted.corrections = store
    restarted.history = partial(window_reports, backend)
    restarted.rebuild(restarted.history(T0 - timedelta(days=1)))
    assert restarted.states["cluster"].seen == live.states["cluster"].seen
    seen = restarted.states["cluster"].seen
    assert seen["a"] != seen["b"] and corrections.report_matter(backend, "a") == seen["a"]


class ByCount:
    """Stands in for the fitted matcher: probabilities by the number of candidates."""

    def __init__(self, probs: dict[int, list[float]]) -> None:
        self.probs = probs

    def probabilities(self, x: npt.NDArray[np.float64], placed: bool) -> npt.NDArray[np.float64]:
        return np.array(self.probs[len(x)], dtype=np.float64)


def test_a_report_bridging_two_matters_re_points_their_reports_and_names_the_merged(
    rig: Callable[[], Rig], make_report: Callable[..., Report], regions: Regions
) -> None:
    """The clusterer's own merge: the agent re-points the reports as for an analyst's, and
    ``merged_from`` travels on to the alerting input (which closes the merged-away alert)."""
    h = rig()
    h.pipeline.clusterer.matcher = ByCount({0: [], 1: [0.1], 2: [0.99, 0.95]})  # type: ignore[assignment]
    items = look_alikes(make_report, regions, "a", "b", "c")

    async def go() -> None:
        async with h.app.agents["cluster"].test_context() as cluster:
            for item in [*items, items[2]]:  # c bridges a's and b's matters; then redelivered
                await cluster.put(item.to_bytes())
            await h.wait("matters", 4)

    run(go())
    a, b, c, again = h.updates()
    assert b.new_matter and b.matter.matter_id != a.matter.matter_id
    assert c.matter.matter_id == a.matter.matter_id and c.merged_from == [b.matter.matter_id]
    assert again.merged_from == [] and again.matter.matter_id == a.matter.matter_id
    # Once, and only b's: a was in the surviving matter all along.
    assert h.log.rows == [("b", a.matter.matter_id)]
    assert seen_of(h.pipeline.score(c)).merged_from == [b.matter.matter_id]
