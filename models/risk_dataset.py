"""Rows of a scored stream with their labels: what training fits and evaluation measures.

The evaluation unit is one matter update (one report joining a matter) at time
t: a prediction that the matter has a collective incident in (t, t + horizon].
Updates at or after the matter's incident are left out (the incident is then
known; a warning can no longer come early). The label of an update is the
outcome of the report's TRUE matter, whether the stream groups reports by the
true matters or by the clusterer, so both are measured against the same truth.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from minqing.config import RiskConfig
from minqing.records import Accepted, Matter
from models.intent import IntentClassifier
from models.risk import RiskScorer
from models.risk_data import Outcome
from models.risk_features import FeatureState
from models.risk_tracks import observation

# report_id, stream matter_id -> (true matter id, its outcome), or None (no truth: skipped)
Resolve = Callable[[str, str], tuple[str, Outcome] | None]
BASELINE_WINDOW = 48 * 3600.0


def label(ts: float, outcome: Outcome, horizon_s: float) -> tuple[int, bool]:
    """(label, kept) of an update at ``ts``.

    >>> from datetime import datetime, UTC
    >>> o = Outcome(True, datetime.fromtimestamp(100 * 3600, UTC))
    >>> label(0.0, o, 168 * 3600.0), label(99 * 3600.0, o, 24 * 3600.0), label(100 * 3600.0, o, 1.0)
    ((1, True), (1, True), (0, False))
    """
    if outcome.t_incident is None:
        return 0, True
    t_inc = outcome.t_incident.timestamp()
    if ts >= t_inc:
        return 0, False
    return int(t_inc - ts <= horizon_s), True


@dataclass
class Rows:
    """Parallel columns, one entry per update of the stream."""

    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    keep: list[bool] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    t_inc: list[float] = field(default_factory=list)
    risk: list[float] = field(default_factory=list)
    level: list[str] = field(default_factory=list)
    size: list[int] = field(default_factory=list)  # the stream matter's reports so far
    count48: list[int] = field(default_factory=list)  # ... of them within 48 h

    def add(self, true_id: str, outcome: Outcome, ts: float, horizon_s: float) -> None:
        y, keep = label(ts, outcome, horizon_s)
        self.y.append(y)
        self.keep.append(keep)
        self.group.append(true_id)
        self.ts.append(ts)
        self.t_inc.append(outcome.t_incident.timestamp() if outcome.t_incident else math.nan)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in vars(self).items() if v}


def resolver(matter_of: dict[str, str], outcomes: dict[str, Outcome]) -> Resolve:
    """Labels from files: the report's true matter and its outcome."""

    def resolve(report_id: str, _matter_id: str) -> tuple[str, Outcome] | None:
        true_id = matter_of.get(report_id)
        if true_id is None:
            return None
        return true_id, outcomes.get(true_id, Outcome(False))

    return resolve


def recorded_resolver(matter_of: dict[str, str], outcomes: dict[str, Outcome]) -> Resolve:
    """Labels from the warehouse: the report's recorded matter, when its outcome is recorded."""

    def resolve(report_id: str, _matter_id: str) -> tuple[str, Outcome] | None:
        mid = matter_of.get(report_id)
        return None if mid is None or mid not in outcomes else (mid, outcomes[mid])

    return resolve


def record_resolver(outcomes: dict[str, Outcome]) -> Resolve:
    """Labels from outcome records, keyed by the stream's own matter ids (nothing: no incident)."""
    return lambda _rid, matter_id: (matter_id, outcomes.get(matter_id, Outcome(False)))


def feature_rows(stream: Iterable[tuple[Matter, Accepted]], resolve: Resolve,
                 clf: IntentClassifier | None, cfg: RiskConfig) -> Rows:  # fmt: skip
    """Features and labels of every update with a known outcome (training)."""
    state, rows, horizon = FeatureState(), Rows(), cfg.horizon_hours * 3600.0
    for matter, item in stream:
        at = item.report.received_at
        assert at is not None
        x = state.observe(matter, observation(matter, at, item, clf), cfg.answer_limit_hours)
        found = resolve(item.report.report_id or "", matter.matter_id)
        if found is not None:
            rows.x.append(x)
            rows.add(*found, at.timestamp(), horizon)
    return rows


def scored_rows(stream: Iterable[tuple[Matter, Accepted]], resolve: Resolve,
                scorer: RiskScorer) -> Rows:  # fmt: skip
    """The scorer's risk and level, and the baselines' inputs, for every update (evaluation)."""
    state, rows = scorer.init(), Rows()
    horizon = scorer.cfg.horizon_hours * 3600.0
    recent: dict[str, deque[float]] = defaultdict(deque)
    for matter, item in stream:
        at = item.report.received_at
        assert at is not None
        rid = item.report.report_id or ""
        state, score = scorer.update(state, matter, rid, at, item)
        ts, times = at.timestamp(), recent[matter.matter_id]
        times.append(ts)
        while times and times[0] <= ts - BASELINE_WINDOW:
            times.popleft()
        found = resolve(rid, matter.matter_id)
        if found is not None:
            rows.add(*found, ts, horizon)
            rows.risk.append(score.risk)
            rows.level.append(score.level)
            rows.size.append(matter.n_reports)
            rows.count48.append(len(times))
    return rows
