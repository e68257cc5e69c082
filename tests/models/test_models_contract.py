"""The contract every stream model keeps: deterministic, exact save/restore, events untouched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from minqing.config import AlertConfig, ClusteringConfig, RiskConfig
from minqing.records import Accepted, Matter, RiskScore
from models.alerting import AlertPolicy, AlertState
from models.base import StreamModel
from models.clustering import BaselineClusterer, BaselineState, Clusterer, ClusterState
from models.index import REBUILD_MIN
from models.risk import RiskState, RuleScorer, ScorerState, make_scorer

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
KINDS = ["clusterer", "baseline_clusterer", "scorer", "risk_model", "alert_policy"]
TOPICS = [
    ("化工厂夜间偷排废水河水发臭", "化工厂夜里偷排废水，河水发黑发臭，村民不敢用水。"),
    ("安置房工地拖欠农民工工资", "包工头拖欠农民工三个月工资，工人们多次讨要无果。"),
    ("小区物业乱收停车费", "物业公司擅自上调停车费，业主多次协商无果，准备集体上访。"),
    ("征地补偿款迟迟不到位", "修路征地的补偿款一年多没有发放，村民说要去市里上访。"),
    ("养猪场臭气熏天", "村后新建的养猪场臭气熏天，夏天窗户都不敢开。"),
    ("企业改制职工安置不公", "原镇办企业改制后老职工的社保没有着落，多人扬言去堵门。"),
    ("邻居违章搭建挡住采光", "邻居家违章加盖三层，挡住了我家采光，调解多次无果。"),
    ("村里自来水停了五天", "全村停水五天，老人小孩喝水都困难，没人给个说法。"),
]
VILLAGES = ["330681109201", "330681109202", "330681110201", None]
SIGNALS: list[list[str]] = [[], ["gathering"], [], ["collective_petition", "blocking"], []]


def accepted_stream(make_accepted: Callable[..., Accepted], n: int) -> list[Accepted]:
    """``n`` reports on a few topics, places and times: joins, new matters, evictions."""
    out = []
    for i in range(n):
        # A ten-day lull every 40 reports lets the 7-day window evict matters.
        at = T0 + timedelta(hours=9 * i, days=10 * (i // 40))
        title, content = TOPICS[i % len(TOPICS)]
        out.append(make_accepted(
            report_id=f"r{i:03d}", informant_id=f"inf-{i % 7}",
            received_at=at,
            region_code=VILLAGES[i % len(VILLAGES)], title=f"{title}{i % 3}",
            content=f"{content}第{i}次反映。", people_involved=(i * 7) % 60 or None,
            signals=SIGNALS[i % len(SIGNALS)],
        ))  # fmt: skip
    return out


def build(kind: str, make_accepted: Callable[..., Accepted]) -> tuple[Any, list[tuple[Any, ...]]]:
    """The model and its event argument tuples, from one clustered report stream."""
    clusterer = Clusterer(ClusteringConfig(matter_window_days=7))
    accepted = accepted_stream(make_accepted, REBUILD_MIN * 2 + 10)
    if kind == "clusterer":
        return clusterer, [(a,) for a in accepted]
    if kind == "baseline_clusterer":
        return BaselineClusterer(ClusteringConfig(window_days=7)), [(a,) for a in accepted]
    state = clusterer.init()
    matters: list[tuple[Matter, str, Any, Accepted]] = []
    for a in accepted:
        state, update = clusterer.update(state, a)
        matters.append((update.matter, a.report.report_id or "", a.report.received_at, a))
    scorer = RuleScorer(RiskConfig())
    if kind == "scorer":
        return scorer, [m[:3] for m in matters]
    if kind == "risk_model":  # the trained model (models/artifacts), reading the reports too
        return make_scorer(RiskConfig()), list(matters)
    rstate = scorer.init()
    scored: list[tuple[RiskScore, Matter]] = []
    for m, rid, at, _ in matters:
        rstate, score = scorer.update(rstate, m, rid, at)
        scored.append((score, m))
    return AlertPolicy(AlertConfig(min_level="blue")), list(scored)


def dumps(outs: list[Any]) -> list[Any]:
    return [o.model_dump() if isinstance(o, BaseModel) else o for o in outs]


def run(model: Any, state: Any, events: list[tuple[Any, ...]]) -> tuple[Any, list[Any]]:
    outs = []
    for ev in events:
        state, out = model.update(state, *ev)
        outs.append(out)
    return state, dumps(outs)


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic(kind: str, make_accepted: Callable[..., Accepted]) -> None:
    model_a, events = build(kind, make_accepted)
    model_b, _ = build(kind, make_accepted)
    state_a, outs_a = run(model_a, model_a.init(), events)
    state_b, outs_b = run(model_b, model_b.init(), events)
    assert outs_a == outs_b
    assert state_a.to_json() == state_b.to_json()
    assert any(o is not None for o in outs_a)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cut", [0, 1, REBUILD_MIN + 3, 2 * REBUILD_MIN + 5])
def test_state_round_trips(kind: str, cut: int, make_accepted: Callable[..., Accepted]) -> None:
    model, events = build(kind, make_accepted)
    state, _ = run(model, model.init(), events[:cut])
    saved = state.to_json()
    restored = type(state).from_json(saved.encode("utf-8"))
    assert restored.to_json() == saved
    state_after, outs = run(model, state, events[cut:])
    restored_after, outs_restored = run(model, restored, events[cut:])
    assert outs_restored == outs
    assert restored_after.to_json() == state_after.to_json()


@pytest.mark.parametrize("kind", KINDS)
def test_events_are_not_mutated(kind: str, make_accepted: Callable[..., Accepted]) -> None:
    model, events = build(kind, make_accepted)
    before = [[a.model_dump() if isinstance(a, BaseModel) else a for a in ev] for ev in events]
    run(model, model.init(), events)
    after = [[a.model_dump() if isinstance(a, BaseModel) else a for a in ev] for ev in events]
    assert after == before


def test_models_fit_the_protocol() -> None:
    cluster: StreamModel[ClusterState, [Accepted], Any] = Clusterer(ClusteringConfig())
    base: StreamModel[BaselineState, [Accepted], Any] = BaselineClusterer(ClusteringConfig())
    risk: StreamModel[RiskState, [Matter, str, Any], RiskScore] = RuleScorer(RiskConfig())
    alert: StreamModel[AlertState, [RiskScore, Matter], Any] = AlertPolicy(AlertConfig())
    trained: StreamModel[ScorerState, [Matter, str, Any, Accepted], RiskScore] = make_scorer(
        RiskConfig()
    )
    for model in (cluster, base, risk, alert, trained):
        state = model.init()
        assert type(state).from_json(state.to_json()) == state
