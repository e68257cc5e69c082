"""The stateful glue between agents and the pure models: one object per worker.

Agents call these methods and send what they return; all logic lives in
``streams.validate`` and ``models``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from minqing import metrics
from minqing.config import Config
from minqing.errors import WarehouseError
from minqing.records import (
    Accepted,
    AlertOut,
    Correction,
    DeadLetter,
    Matter,
    MatterUpdate,
    Scored,
)
from minqing.regions import Regions
from minqing.settings import Settings
from models import cluster_ops
from models.alerting import AlertPolicy
from models.clustering import Clusterer, Evicted
from models.model_store import ModelStore
from models.risk import RiskScorer, make_scorer, model_dir
from streams import validate

log = logging.getLogger(__name__)


class CorrectionLog(Protocol):
    """Where analysts' corrections are kept (warehouse/corrections.py ``CorrectionStore``)."""

    def applied_since(self, since: datetime) -> list[Correction]: ...
    def save(self, c: Correction) -> None: ...
    def moved(self, rows: list[tuple[Accepted, Matter]], at: datetime) -> None: ...


class MatterArchive(Protocol):
    """Where closed matters are kept (warehouse/matter_archive.py ``ArchiveStore``)."""

    def store(self, records: list[Evicted]) -> int: ...
    def lookup(
        self, townships: tuple[str, ...], keys: tuple[int, ...], limit: int
    ) -> list[Evicted]: ...


def event_order(item: Accepted) -> tuple[str, str]:
    at = item.report.received_at
    return (at.astimezone(UTC).isoformat() if at else "", item.report.report_id or "")


@dataclass
class Pipeline:
    config: Config
    regions: Regions
    receipt_secret: str
    clusterer: Clusterer = field(init=False)
    scorer: RiskScorer = field(init=False)
    policy: AlertPolicy = field(init=False)
    states: dict[str, Any] = field(init=False)
    models: ModelStore = field(init=False)
    # Reads the window's reports back from the warehouse (set by the entry point).
    history: Callable[[datetime], list[Accepted]] | None = None
    # False until the state has been rebuilt after a start or a rebalance.
    ready: bool = False
    # Reads analysts' applied corrections back from the warehouse (set by the entry point):
    # a refold re-applies them where they were applied (streams/corrections.py).
    corrections: CorrectionLog | None = None
    applied: set[str] = field(default_factory=set)
    # Closed matters, stored and revived (``use_archive``, set by the entry point).
    archive: MatterArchive | None = None

    def __post_init__(self) -> None:
        # The same clusterer as `minqing replay`.
        self.clusterer = Clusterer.from_config(self.config, self.regions)
        self.scorer = make_scorer(self.config.risk, self.config.signals)
        # A newly promoted risk model is picked up without a restart.
        self.models = ModelStore(model_dir(self.config.risk), self.config.risk.reload_seconds)
        self.policy = AlertPolicy(self.config.alerts)
        self.reset()

    def reset(self) -> None:
        self.states = {
            "cluster": self.clusterer.init(),
            "risk": self.scorer.init(),
            "alert": self.policy.init(),
        }

    def rebuild(self, items: Iterable[Accepted]) -> int:
        """Refold every model over the window's reports, in event-time order.

        The models are deterministic, so this gives the state an uninterrupted
        worker would have; outputs are dropped (they were sent the first time).
        Analysts' applied corrections are re-applied where they were first applied.
        """
        self.reset()
        n = 0
        ordered = sorted(items, key=event_order)
        fixes = self.corrections_for(ordered)
        for item in ordered:
            if item.report.received_at is not None:
                self.reapply_until(fixes, item.report.received_at)
            self._alert(self._score(self._cluster(item)))  # outputs were sent the first time
            n += 1
        self.reapply_until(fixes, None)
        self.ready = True
        log.info("state rebuilt from %d reports of the window / 已从窗口内 %d 条报告重建状态", n, n)
        return n

    def window_start(self, newest: datetime) -> datetime:
        cfg = self.config.clustering
        return newest - timedelta(days=max(cfg.window_days, cfg.matter_window_days))

    @classmethod
    def from_settings(cls, settings: Settings, config: Config) -> Pipeline:
        regions = Regions.from_csv(config.region_file)
        return cls(config, regions, settings.receipt_secret.get_secret_value())

    def validate(self, raw: bytes, topic: str) -> Accepted | DeadLetter:
        metrics.STAGE_MESSAGES.labels("validate").inc()
        return validate.accept(raw, topic, self.regions, self.receipt_secret, datetime.now(UTC))

    def cluster(self, item: Accepted) -> MatterUpdate:
        metrics.STAGE_MESSAGES.labels("cluster").inc()
        return self._cluster(item)

    def _cluster(self, item: Accepted) -> MatterUpdate:
        self.states["cluster"], update = self.clusterer.update(self.states["cluster"], item)
        return self.revive(update)

    def use_archive(self, archive: MatterArchive) -> None:
        """Keep evicted matters in ``archive`` and revive them from it (models/clustering.py)."""
        self.archive = archive
        self.clusterer.archive = True

    def revive(self, update: MatterUpdate) -> MatterUpdate:
        """Store the matters just evicted; if ``update`` opened a new matter, bring back the
        archived one its report is about, if any (its old id: alerts and history go on).
        The warehouse failing costs a revival, never the report."""
        if self.archive is None:
            return update
        state = self.states["cluster"]
        evicted = self.clusterer.take_evicted(state)
        try:
            self.archive.store(evicted)
        except WarehouseError as e:
            log.warning("closed matters not archived yet, retried later: %s", e)
            state.evicted[:0] = evicted
        query = self.clusterer.archive_query(state, update)
        if query is None:
            return update
        try:
            found = self.archive.lookup(*query)
        except WarehouseError as e:
            log.warning("closed matters not looked up: %s", e)
            return update
        self.states["cluster"], update = self.clusterer.revive(state, update, found)
        return update

    def score(self, update: MatterUpdate) -> Scored:
        metrics.STAGE_MESSAGES.labels("risk").inc()
        return self._score(update)

    def _score(self, update: MatterUpdate) -> Scored:
        at = update.accepted.report.received_at or datetime.now(UTC)
        report_id = update.accepted.report.report_id or ""
        if self.config.risk.model == "promoted":
            self.models.refresh(self.scorer)
        self.states["risk"], score = self.scorer.update(
            self.states["risk"], update.matter, report_id, at, accepted=update.accepted
        )
        return Scored(matter=update.matter, score=score, merged_from=update.merged_from)

    def alert(self, scored: Scored) -> AlertOut | None:
        metrics.STAGE_MESSAGES.labels("alert").inc()
        out = self._alert(scored)
        if out is not None:
            metrics.ALERT_EVENTS.labels(out.event.kind, out.event.level).inc()
        return out

    def _alert(self, scored: Scored) -> AlertOut | None:
        self.states["alert"], out = self.policy.update(
            self.states["alert"], scored.score, scored.matter, scored.merged_from
        )
        return out

    def correct(self, c: Correction, at: datetime | None = None) -> cluster_ops.Applied | None:
        """Apply an analyst's correction; None when this worker applied it already."""
        if c.correction_id in self.applied:
            log.info("correction %s applied already: skipped", c.correction_id)
            return None
        metrics.STAGE_MESSAGES.labels("correct").inc()
        self.states["cluster"], done = cluster_ops.apply(
            self.states["cluster"], c, at or datetime.now(UTC)
        )
        self.applied.add(c.correction_id)
        log.info("correction %s (%s %s): %s %s", c.correction_id, c.kind, c.matter_id,
                 done.verdict.status, done.verdict.note)  # fmt: skip
        return done

    def corrections_for(self, ordered: list[Accepted]) -> list[Correction]:
        """The applied corrections a refold over ``ordered`` re-applies, latest last."""
        self.applied = set()
        first = ordered[0].report.received_at if ordered else None
        if self.corrections is None or first is None:
            return []
        fixes = self.corrections.applied_since(first)
        at = datetime.min.replace(tzinfo=UTC)
        return sorted(fixes, key=lambda c: (c.as_of or at, c.applied_at or at, c.correction_id))

    def reapply_until(self, fixes: list[Correction], before: datetime | None) -> None:
        """Re-apply, in order, the corrections made before the clock passed ``before``.

        A correction was applied when the clustering clock stood at its ``as_of``: in a
        refold it goes in before the first report after that, as it did the first time.
        """
        while fixes and (before is None or (fixes[0].as_of or before) < before):
            c = fixes.pop(0)
            self.states["cluster"] = cluster_ops.reapply(self.states["cluster"], c)
            self.applied.add(c.correction_id)
