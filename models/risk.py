"""Transparent rule-based risk of a matter: capped terms on a logit scale.

Each term is a count squashed to 0..1, weighted per configs/minqing.toml
[risk.weights]; risk = sigmoid(bias + sum of weighted terms). The factors and
the Chinese explanation name what pushed the risk up, for the analyst.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from minqing.config import RiskConfig
from minqing.records import LEVELS, Level, Matter, RiskScore
from models.base import dump_state, load_state

MODEL = "rule-v1"
INTENT = ("collective_petition", "petition_upward", "gathering", "blocking", "banners_online")
DANGER = ("self_harm_threat", "violence_threat")
# Chinese names as in configs/minqing.toml [signals]; the config's names win when given.
SIGNAL_ZH = {
    "collective_petition": "集体上访",
    "petition_upward": "越级上访",
    "gathering": "聚集",
    "blocking": "堵路堵门",
    "banners_online": "拉横幅/网上发帖",
    "self_harm_threat": "扬言自伤",
    "violence_threat": "扬言暴力",
}


@dataclass
class RiskState:
    """The rule needs no memory; the count is kept for monitoring."""

    n_scored: int = 0

    def to_json(self) -> str:
        return dump_state("risk", {"n_scored": self.n_scored})

    @classmethod
    def from_json(cls, data: str | bytes) -> RiskState:
        return cls(n_scored=int(load_state("risk", data)["n_scored"]))


def level_for(risk: float, cfg: RiskConfig) -> Level:
    """The highest level whose threshold ``risk`` reaches, else "none".

    >>> cfg = RiskConfig()
    >>> level_for(0.1, cfg), level_for(0.45, cfg), level_for(0.99, cfg)
    ('none', 'yellow', 'red')
    """
    level: Level = "none"
    for name in LEVELS[1:]:
        if risk >= getattr(cfg, name):
            level = name
    return level


def terms(matter: Matter) -> dict[str, float]:
    """Each risk term of a matter, capped to 0..1 (see configs/minqing.toml).

    >>> m = Matter(matter_id="M1", version=1, title="t", category=None, n_reports=15,
    ...     n_informants=7, n_villages=4, people_max=99, signals=["gathering"],
    ...     first_seen="2024-01-01T00:00:00Z", last_seen="2024-01-01T00:00:00Z")
    >>> [(k, round(v, 3)) for k, v in terms(m).items()][-3:]
    [('people', 1.0), ('signals', 0.333), ('danger', 0.0)]
    """
    intent = sum(1 for s in matter.signals if s in INTENT)
    raw = {
        "reports": math.log2(1 + matter.n_reports) / 4,
        "informants": math.log2(1 + matter.n_informants) / 3,
        "villages": (matter.n_villages - 1) / 3,
        "people": math.log10(1 + matter.people_max) / 2,
        "signals": min(intent, 3) / 3,
        "danger": 1.0 if any(s in DANGER for s in matter.signals) else 0.0,
    }
    return {k: min(1.0, max(0.0, v)) for k, v in raw.items()}


def explain_zh(matter: Matter, names: Mapping[str, str] = SIGNAL_ZH) -> str:
    """One short sentence an analyst reads.

    >>> m = Matter(matter_id="M1", version=5, title="t", category=None, n_reports=5,
    ...     n_informants=3, n_villages=2, people_max=40,
    ...     signals=["collective_petition", "gathering"],
    ...     first_seen="2024-01-01T00:00:00Z", last_seen="2024-01-01T00:00:00Z")
    >>> explain_zh(m)
    '3名信息员、2个村反映5次；涉及约40人；提及集体上访、聚集'
    """
    who = f"{matter.n_informants}名信息员"
    if matter.n_villages >= 2:
        who += f"、{matter.n_villages}个村"
    parts = [f"{who}反映{matter.n_reports}次"]
    if matter.people_max > 0:
        parts.append(f"涉及约{matter.people_max}人")
    if matter.signals:
        parts.append("提及" + "、".join(names.get(s, s) for s in matter.signals))
    return "；".join(parts)


class RuleScorer:
    """``update(state, matter, report_id, at) -> (state, RiskScore)``, model "rule-v1"."""

    def __init__(self, cfg: RiskConfig, signal_names: Mapping[str, str] | None = None) -> None:
        self.cfg = cfg
        self.names = {**SIGNAL_ZH, **(signal_names or {})}

    def init(self) -> RiskState:
        return RiskState()

    def risk(self, matter: Matter) -> tuple[float, list[str]]:
        """Risk 0..1 (4 decimals) and the terms that raised it, largest first."""
        w = self.cfg.weights
        weighted = {k: getattr(w, k) * v for k, v in terms(matter).items()}
        logit = w.bias + sum(weighted.values())
        factors = sorted((k for k, v in weighted.items() if v > 0), key=lambda k: -weighted[k])
        return round(1.0 / (1.0 + math.exp(-logit)), 4), factors

    def update(self, state: RiskState, matter: Matter, report_id: str,
               at: datetime) -> tuple[RiskState, RiskScore]:  # fmt: skip
        risk, factors = self.risk(matter)
        state.n_scored += 1
        return state, RiskScore(
            matter_id=matter.matter_id,
            version=matter.version,
            report_id=report_id,
            risk=risk,
            level=level_for(risk, self.cfg),
            factors=factors,
            explanation=explain_zh(matter, self.names),
            scored_at=at,
            model=MODEL,
        )
