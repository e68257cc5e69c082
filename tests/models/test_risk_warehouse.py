"""`minqing train` from the warehouse: recorded matters and analysts' outcomes as labels (chdb)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import models.training
from minqing.config import load_config
from minqing.errors import ModelError
from minqing.records import Outcome, OutcomeKind
from minqing.regions import Regions
from minqing.settings import Settings
from models.model_store import promoted_version
from models.risk_warehouse import recorded
from producers.scenarios import Scenario, generate, preset
from warehouse import outcomes
from warehouse.backend import Backend
from warehouse.migrations import migrate

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    regions = Regions.from_csv(load_config(CONFIGS).region_file)
    return generate(preset("train", seed=41, n_matters=140, days=25.0), regions)


def store(backend: Backend, sc: Scenario, labelled: int) -> set[str]:
    """The scenario's reports in their true matters; outcomes of the first ``labelled``."""
    regions = Regions.from_csv(load_config(CONFIGS).region_file)
    rows = []
    for r in sc.reports:
        place = regions.locate(r.region_code, r.region_text)
        assert r.received_at is not None
        rows.append(r.model_dump() | {
            "receipt": "", "received_at": r.received_at.astimezone(UTC).replace(tzinfo=None),
            "village": place.village, "township": place.township, "county": place.county,
            "matter_id": sc.matter_of[r.report_id or ""], "version": 1,
        })  # fmt: skip
    backend.insert("reports", rows)
    return record_outcomes(backend, sc, labelled)


def record_outcomes(backend: Backend, sc: Scenario, labelled: int) -> set[str]:
    """Analysts' outcomes of the first ``labelled`` true matters, as the API stores them."""
    for n, t in enumerate(sc.truths[:labelled]):
        kind: OutcomeKind = "incident" if t.t_incident else "nothing"
        outcomes.record(backend, Outcome(
            outcome_id=f"o-{n:05d}", matter_id=t.matter_id, outcome=kind,
            t_incident=t.t_incident, recorded_by="li", recorded_at=NOW,
        ))  # fmt: skip
    return {t.matter_id for t in sc.truths[:labelled]}


def test_recorded_outcomes_label_the_recorded_matters(
    warehouse_backend: Callable[..., Backend], scenario: Scenario
) -> None:
    backend = warehouse_backend("chdb")
    migrate(backend)
    store(backend, scenario, 0)
    with pytest.raises(ModelError):  # reports but no outcome yet: nothing to learn from
        recorded(backend)
    labelled = record_outcomes(backend, scenario, 100)
    rec = recorded(backend)
    assert len(rec.reports) == len(scenario.reports)  # every report replays, labelled or not
    assert set(rec.outcomes) == labelled
    first = scenario.truths[0]
    assert rec.outcomes[first.matter_id].escalates == (first.t_incident is not None)
    times = [r.received_at for r in rec.reports if r.received_at and r.received_at.tzinfo]
    assert len(times) == len(rec.reports) and times == sorted(times)


def test_train_without_input_learns_from_the_warehouse(
    warehouse_settings: Callable[..., Settings], scenario: Scenario, tmp_path: Path
) -> None:
    settings = warehouse_settings("chdb").model_copy(update={"config_dir": CONFIGS})
    backend = models.training.connect(settings)
    try:
        migrate(backend)
        store(backend, scenario, len(scenario.truths))
    finally:
        backend.close()
    out = tmp_path / "models"
    args = argparse.Namespace(input=None, truth=None, output=out, grouping="baseline")
    assert models.training.main(settings, args) == 0
    version = promoted_version(out)
    assert version is not None
    metrics = json.loads((out / f"{version}.metrics.json").read_text(encoding="utf-8"))
    assert metrics["trained_on"] == ["warehouse"] and metrics["positives"] > 0
    assert 0 < metrics["suggested_levels"]["orange"] < 1
