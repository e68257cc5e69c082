"""The stateful glue between agents and the pure models: one object per worker.

Agents call these methods and send what they return; all logic lives in
``streams.validate`` and ``models``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from minqing import metrics
from minqing.config import Config
from minqing.records import Accepted, AlertOut, DeadLetter, MatterUpdate, Scored
from minqing.regions import Regions
from minqing.settings import Settings
from models.alerting import AlertPolicy
from models.clustering import BaselineClusterer
from models.model_store import ModelStore
from models.risk import RiskScorer, make_scorer, model_dir
from streams import validate


@dataclass
class Pipeline:
    config: Config
    regions: Regions
    receipt_secret: str
    clusterer: BaselineClusterer = field(init=False)
    scorer: RiskScorer = field(init=False)
    policy: AlertPolicy = field(init=False)
    states: dict[str, Any] = field(init=False)
    models: ModelStore = field(init=False)

    def __post_init__(self) -> None:
        self.clusterer = BaselineClusterer(self.config.clustering)
        self.scorer = make_scorer(self.config.risk, self.config.signals)
        # A newly promoted risk model is picked up without a restart.
        self.models = ModelStore(model_dir(self.config.risk), self.config.risk.reload_seconds)
        self.policy = AlertPolicy(self.config.alerts)
        self.states = {
            "cluster": self.clusterer.init(),
            "risk": self.scorer.init(),
            "alert": self.policy.init(),
        }

    @classmethod
    def from_settings(cls, settings: Settings, config: Config) -> Pipeline:
        regions = Regions.from_csv(config.region_file)
        return cls(config, regions, settings.receipt_secret.get_secret_value())

    def validate(self, raw: bytes, topic: str) -> Accepted | DeadLetter:
        metrics.STAGE_MESSAGES.labels("validate").inc()
        return validate.accept(raw, topic, self.regions, self.receipt_secret, datetime.now(UTC))

    def cluster(self, item: Accepted) -> MatterUpdate:
        metrics.STAGE_MESSAGES.labels("cluster").inc()
        self.states["cluster"], update = self.clusterer.update(self.states["cluster"], item)
        return update

    def score(self, update: MatterUpdate) -> Scored:
        metrics.STAGE_MESSAGES.labels("risk").inc()
        at = update.accepted.report.received_at or datetime.now(UTC)
        report_id = update.accepted.report.report_id or ""
        if self.config.risk.model == "promoted":
            self.models.refresh(self.scorer)
        self.states["risk"], score = self.scorer.update(
            self.states["risk"], update.matter, report_id, at, accepted=update.accepted
        )
        return Scored(matter=update.matter, score=score)

    def alert(self, scored: Scored) -> AlertOut | None:
        metrics.STAGE_MESSAGES.labels("alert").inc()
        self.states["alert"], out = self.policy.update(
            self.states["alert"], scored.score, scored.matter
        )
        if out is not None:
            metrics.ALERT_EVENTS.labels(out.event.kind, out.event.level).inc()
        return out
