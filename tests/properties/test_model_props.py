"""Invariants of clustering and risk scoring, through the models' public init()/update() only.

Clustering: every report lands in exactly one matter, a report seen again stays
where it is, the result is deterministic, and reports with identical timestamps
are placed the same whatever order they arrived in, once fed in the pipeline's
event-time order (received_at, then report_id). A later report may bridge two
matters and merge them, so where a report is now is asked the public way: by
feeding it again (a redelivery answers its current matter, not counted again).
Scoring: risk lies in [0, 1] and levels rise with risk at the configured thresholds.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from minqing.config import Config, load_config
from minqing.records import LEVELS, Accepted, Matter, Place, Report
from minqing.regions import Regions
from minqing.settings import REPO_ROOT
from models.clustering import Clusterer
from models.risk import RiskScorer, make_scorer

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TOWNS = ["330681109", "330681115"]
TITLES = ["化工厂夜间排污", "工地拖欠工资三个月", "征地补偿款迟迟不发", "小区物业乱收费"]
SIGNALS = ["collective_petition", "gathering", "blocking", "self_harm_threat"]


@cache
def config() -> Config:
    return load_config(REPO_ROOT / "configs")


@cache
def clusterer() -> Clusterer:
    return Clusterer.from_config(config(), Regions.from_csv(config().region_file))


@st.composite
def accepted(draw: st.DrawFn, n: int) -> Accepted:
    town = draw(st.sampled_from(TOWNS))
    title = draw(st.sampled_from(TITLES))
    report = Report(
        report_id=f"r{n:03d}", informant_id=f"inf-{draw(st.integers(0, 3))}",
        received_at=T0 + timedelta(hours=draw(st.integers(0, 3))),  # many identical times
        region_code=town, title=title, content=title + "，群众意见很大。",
        category=draw(st.sampled_from(["environment", "wage_arrears", None])),
        people_involved=draw(st.none() | st.integers(0, 500)),
    )  # fmt: skip
    return Accepted(report=report, place=Place(township=town, county="330681"), receipt="R")


@st.composite
def batches(draw: st.DrawFn) -> list[Accepted]:
    size = draw(st.integers(1, 10))
    return [draw(accepted(i)) for i in range(size)]


def event_order(items: list[Accepted]) -> list[Accepted]:
    return sorted(items, key=lambda a: (a.report.received_at, a.report.report_id))


def assign(items: list[Accepted]) -> tuple[dict[str, str], dict[str, Matter]]:
    """Feed a fresh clusterer, then ask again: each report's matter now, and those matters."""
    model = clusterer()
    state = model.init()
    for item in items:
        state, _ = model.update(state, item)
    where: dict[str, str] = {}
    now: dict[str, Matter] = {}
    for item in items:
        state, out = model.update(state, item)
        assert not out.new_matter
        where[item.report.report_id or ""] = out.matter.matter_id
        now[out.matter.matter_id] = out.matter
    return where, now


@settings(max_examples=40, deadline=None)
@given(batches())
def test_every_report_gets_exactly_one_matter(items: list[Accepted]) -> None:
    where, last = assign(event_order(items))
    assert len(where) == len(items) and all(where.values())
    assert sum(m.n_reports for m in last.values()) == len(items)


@settings(max_examples=40, deadline=None)
@given(batches(), st.randoms(use_true_random=False))
def test_clustering_is_deterministic_and_arrival_order_free(
    items: list[Accepted], rnd: object
) -> None:
    first = assign(event_order(items))[0]
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert assign(event_order(shuffled))[0] == first


@settings(max_examples=25, deadline=None)
@given(batches())
def test_a_report_seen_again_stays_in_its_matter(items: list[Accepted]) -> None:
    model = clusterer()
    state = model.init()
    for item in event_order(items):
        state, out = model.update(state, item)
        # Straight after it, a redelivery finds the report where it was just put.
        state, again = model.update(state, item)
        assert again.matter.matter_id == out.matter.matter_id and not again.new_matter
        assert again.matter.n_reports == out.matter.n_reports  # not counted twice


matters = st.builds(
    Matter,
    matter_id=st.sampled_from(["M1", "M2", "M3"]), version=st.integers(1, 50),
    title=st.sampled_from(TITLES), category=st.sampled_from(["environment", "demolition", None]),
    township=st.sampled_from(TOWNS), county=st.just("330681"),
    n_reports=st.integers(1, 60), n_informants=st.integers(1, 30), n_villages=st.integers(1, 10),
    people_max=st.integers(0, 5000), signals=st.lists(st.sampled_from(SIGNALS), unique=True),
    first_seen=st.just(T0), last_seen=st.just(T0 + timedelta(days=1)),
)  # fmt: skip


def level_index(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type]


def scores(scorer: RiskScorer, seq: list[Matter]) -> list[tuple[float, str]]:
    state, out = scorer.init(), list[tuple[float, str]]()
    for i, m in enumerate(seq):
        state, score = scorer.update(state, m, f"r{i}", m.last_seen + timedelta(minutes=i))
        out.append((score.risk, score.level))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(matters, min_size=1, max_size=8))
def test_risk_in_unit_interval_and_levels_monotone(seq: list[Matter]) -> None:
    risk_cfg = config().risk
    thresholds = [(lv, getattr(risk_cfg, lv)) for lv in LEVELS[1:]]
    for scorer in (make_scorer(risk_cfg), RiskScorer(risk_cfg)):
        got = scores(scorer, seq)
        for risk, level in got:
            assert 0.0 <= risk <= 1.0
            for name, threshold in thresholds:  # a margin for the 4-place rounding
                if risk >= threshold + 1e-4:
                    assert level_index(level) >= level_index(name), (risk, level)
                if risk < threshold - 1e-4:
                    assert level_index(level) < level_index(name), (risk, level)
        ordered = sorted(got)
        for (r1, l1), (r2, l2) in itertools.pairwise(ordered):
            assert r1 == r2 or level_index(l1) <= level_index(l2)
