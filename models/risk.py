"""Risk of a matter: the trained model when there is one, else a transparent rule.

``RiskScorer`` (what the worker and replay use, via ``make_scorer``) keeps each
matter's features up to date report by report (``models.risk_features``) and scores
them with the promoted ``RiskModel``: a calibrated probability that the matter
ends in a collective incident within the model's horizon, its level by the
thresholds in configs/minqing.toml [risk], the factors that raised it and a
short Chinese sentence. Without a trained model it falls back to the rule.

The rule (``RuleScorer``, and ``RiskScorer``'s fallback): each term is a count
squashed to 0..1, weighted per [risk.weights]; risk = sigmoid(bias + sum of
weighted terms). The fallback also counts intent read from the reports' text.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from minqing.config import RiskConfig
from minqing.errors import ModelError
from minqing.records import LEVELS, Accepted, Level, Matter, RiskScore
from models import risk_explain as explain
from models.base import dump_state, load_state
from models.risk_features import FeatureState
from models.risk_model import RiskModel
from models.risk_tracks import observation

log = logging.getLogger(__name__)

MODEL = "rule-v1"
FALLBACK = "rule-v2"  # the rule, with intent read from text
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
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


def terms(matter: Matter, signals: Collection[str] | None = None) -> dict[str, float]:
    """Each risk term of a matter, capped to 0..1 (see configs/minqing.toml).

    ``signals`` replaces the matter's own (the fallback adds intent read from text).

    >>> m = Matter(matter_id="M1", version=1, title="t", category=None, n_reports=15,
    ...     n_informants=7, n_villages=4, people_max=99, signals=["gathering"],
    ...     first_seen="2024-01-01T00:00:00Z", last_seen="2024-01-01T00:00:00Z")
    >>> [(k, round(v, 3)) for k, v in terms(m).items()][-3:]
    [('people', 1.0), ('signals', 0.333), ('danger', 0.0)]
    """
    signals = matter.signals if signals is None else signals
    intent = sum(1 for s in signals if s in INTENT)
    raw = {
        "reports": math.log2(1 + matter.n_reports) / 4,
        "informants": math.log2(1 + matter.n_informants) / 3,
        "villages": (matter.n_villages - 1) / 3,
        "people": math.log10(1 + matter.people_max) / 2,
        "signals": min(intent, 3) / 3,
        "danger": 1.0 if any(s in DANGER for s in signals) else 0.0,
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


# The rule's terms, as the explanation's factor groups.
RULE_GROUPS = {"reports": "reports", "informants": "spread", "villages": "spread",
               "people": "people", "signals": "intent", "danger": "danger"}  # fmt: skip


@dataclass
class ScorerState:
    """Per-matter feature tracks; the count is kept for monitoring."""

    features: FeatureState = field(default_factory=FeatureState)
    n_scored: int = 0

    def to_json(self) -> str:
        return dump_state("risk-scorer", {"n_scored": self.n_scored,
                                          "features": self.features.to_dict()})  # fmt: skip

    @classmethod
    def from_json(cls, data: str | bytes) -> ScorerState:
        body = load_state("risk-scorer", data)
        return cls(FeatureState.from_dict(body["features"]), int(body["n_scored"]))


class RiskScorer:
    """``update(state, matter, report_id, at, accepted=None) -> (state, RiskScore)``.

    ``accepted`` is the report that made this matter version; without it, intent
    is read from the matter's signal boxes only. ``model`` may be swapped between
    updates (a newly promoted version): the state does not depend on it.
    """

    def __init__(self, cfg: RiskConfig, signal_names: Mapping[str, str] | None = None,
                 model: RiskModel | None = None) -> None:  # fmt: skip
        self.cfg, self.model = cfg, model
        self.names = {**SIGNAL_ZH, **(signal_names or {})}

    def init(self) -> ScorerState:
        return ScorerState()

    def update(self, state: ScorerState, matter: Matter, report_id: str, at: datetime,
               accepted: Accepted | None = None) -> tuple[ScorerState, RiskScore]:  # fmt: skip
        model = self.model
        obs = observation(matter, at, accepted, model.intent if model else None)
        x = state.features.observe(matter, obs, self.cfg.answer_limit_hours)
        track = state.features.tracks[matter.matter_id]
        if model is not None:
            risk, contrib = model.predict(x)
            by_group = dict(zip(explain.GROUP_NAMES, explain.MATRIX @ contrib, strict=True))
        else:
            risk, by_group = self._rule(matter, track.kinds)
        now = max(obs.ts, track.last_ts)
        limit = self.cfg.answer_limit_hours
        groups, text = explain.explain(by_group, track, matter, now, limit, self.names)
        state.n_scored += 1
        return state, RiskScore(
            matter_id=matter.matter_id, version=matter.version, report_id=report_id,
            risk=round(min(1.0, max(0.0, risk)), 4), level=level_for(risk, self.cfg),
            factors=groups, explanation=text, scored_at=at,
            model=model.version if model else FALLBACK,
        )  # fmt: skip

    def _rule(self, matter: Matter, kinds: Collection[str]) -> tuple[float, dict[str, float]]:
        w = self.cfg.weights
        weighted = {
            k: getattr(w, k) * v for k, v in terms(matter, {*matter.signals, *kinds}).items()
        }
        by_group: dict[str, float] = {}
        for k, v in weighted.items():
            by_group[RULE_GROUPS[k]] = by_group.get(RULE_GROUPS[k], 0.0) + v
        risk = 1.0 / (1.0 + math.exp(-(w.bias + sum(weighted.values()))))
        return round(risk, 4), by_group


def model_dir(cfg: RiskConfig) -> Path:
    """Where versioned artifacts and the PROMOTED pointer live."""
    return Path(cfg.model_dir) if cfg.model_dir else ARTIFACTS


def load_model(cfg: RiskConfig) -> RiskModel | None:
    """The model configured by [risk] model: "promoted", "rule", or a model file's path."""
    from models.model_store import promoted_path

    if cfg.model == "rule":
        return None
    path = promoted_path(model_dir(cfg)) if cfg.model == "promoted" else Path(cfg.model)
    if path is None:
        log.warning(
            "no promoted risk model in %s: using the rule / 无已发布模型，使用规则", model_dir(cfg)
        )
        return None
    try:
        return RiskModel.load(path)
    except ModelError as e:
        log.warning("risk model %s unusable, using the rule / 模型不可用，使用规则: %s", path, e)
        return None


def make_scorer(cfg: RiskConfig, signal_names: Mapping[str, str] | None = None) -> RiskScorer:
    """The scorer the worker and replay use: the promoted model, else the rule."""
    return RiskScorer(cfg, signal_names, load_model(cfg))
