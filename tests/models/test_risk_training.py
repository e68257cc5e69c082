"""Training from files or outcome records, versions and promotion, hot reload, evaluation."""

from __future__ import annotations

import argparse
import doctest
import json
import os
from pathlib import Path

import numpy as np
import pytest

import models.evaluate_risk
import models.risk_data
import models.risk_dataset
import models.risk_metrics
import models.training
from minqing.config import Config, load_config
from minqing.errors import ModelError
from minqing.regions import Regions
from minqing.settings import Settings
from models.intent import fit as fit_intent
from models.intent_examples import EXAMPLES
from models.model_store import ModelStore, promote, promoted_version, save
from models.risk import RiskScorer
from models.risk_data import outcomes_from_records, read_reports, read_truth, true_stream
from models.risk_dataset import feature_rows, record_resolver, resolver
from models.risk_model import RiskModel
from models.training import LabelledSet, find_sets, train
from producers.scenarios import generate, preset, write_scenario

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(CONFIGS)


@pytest.fixture(scope="module")
def regions(config: Config) -> Regions:
    return Regions.from_csv(config.region_file)


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory, regions: Regions) -> Path:
    """Two small training scenarios and one held out (another preset), on disk."""
    root = tmp_path_factory.mktemp("scenarios")
    for name, cfg in (
        ("a", preset("train", seed=21, n_matters=130, days=25.0)),
        ("b", preset("train-sparse", seed=22, n_matters=130, days=25.0)),
        ("held", preset("shifted", seed=23, n_matters=130, days=25.0)),
    ):
        write_scenario(generate(cfg, regions), root / ("train" if name != "held" else "") / name)
    return root


@pytest.fixture(scope="module")
def trained(sets: Path, config: Config, regions: Regions) -> tuple[RiskModel, dict]:
    return train(find_sets(sets / "train", None), config, regions)


def test_doctests() -> None:
    for module in (models.risk_data, models.risk_dataset, models.risk_metrics):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0


def test_training_compares_both_kinds_and_is_reproducible(
    trained: tuple[RiskModel, dict], sets: Path, config: Config, regions: Regions
) -> None:
    model, metrics = trained
    assert set(metrics["cross_validation"]) == {"gbm", "logistic"}
    assert metrics["kind"] == model.kind and metrics["trained_on"] == ["a", "b"]
    assert 0 < metrics["suggested_levels"]["orange"] < metrics["suggested_levels"]["red"] <= 1
    again, _ = train(find_sets(sets / "train", None), config, regions)
    assert again.to_json() == model.to_json()


def test_labels_from_outcome_records_train_the_same_rows(
    sets: Path, config: Config, regions: Regions
) -> None:
    folder = sets / "train" / "a"
    truth = read_truth(folder)
    records = [
        {
            "matter_id": m,
            "outcome": "incident" if o.escalates else "resolved",
            "t_incident": o.t_incident.isoformat() if o.t_incident else None,
        }
        for m, o in truth.outcomes.items()
    ]
    reports = read_reports(folder / "reports.jsonl")
    clf = fit_intent(list(EXAMPLES))
    from_files = feature_rows(
        true_stream(reports, regions, truth.matter_of),
        resolver(truth.matter_of, truth.outcomes),
        clf,
        config.risk,
    )
    from_records = feature_rows(
        true_stream(reports, regions, truth.matter_of),
        record_resolver(outcomes_from_records(records)),
        clf,
        config.risk,
    )
    assert from_records.y == from_files.y and from_records.x == from_files.x
    with pytest.raises(ModelError):
        outcomes_from_records([{"matter_id": "M", "outcome": "riot"}])


def test_versions_promotion_and_hot_reload(trained: tuple[RiskModel, dict], tmp_path: Path) -> None:
    model, metrics = trained
    now = [0.0]
    store = ModelStore(tmp_path, check_seconds=30.0, clock=lambda: now[0])
    assert store.current() is None
    v1 = save(tmp_path, model, metrics)
    promote(tmp_path, v1.version)
    scorer = RiskScorer(load_config(CONFIGS).risk)
    assert store.refresh(scorer) is False  # checked too recently: nothing yet
    now[0] = 31.0
    assert store.refresh(scorer) is True and scorer.model is not None
    assert scorer.model.version == v1.version
    v2 = save(tmp_path, model, {**metrics, "note": "retrained"})
    assert v2.version != v1.version and v2.version.startswith("risk-v2-")
    promote(tmp_path, v2.version)
    os.utime(tmp_path / "PROMOTED", ns=(1, 1))  # a new mtime even on a coarse clock
    now[0] = 62.0
    assert store.refresh(scorer) is True and scorer.model.version == v2.version
    assert promoted_version(tmp_path) == v2.version
    (tmp_path / f"{v2.version}.json").write_text("broken")
    promote(tmp_path, v2.version)
    os.utime(tmp_path / "PROMOTED", ns=(2, 2))
    now[0] = 93.0
    assert store.refresh(scorer) is False and scorer.model.version == v2.version
    with pytest.raises(ModelError):
        promote(tmp_path, "risk-v7-missing")


def test_evaluation_beside_baselines(
    trained: tuple[RiskModel, dict], sets: Path, config: Config, regions: Regions
) -> None:
    model, _ = trained
    res = models.evaluate_risk.evaluate(
        sets / "held" / "reports.jsonl", read_truth(sets / "held"), config, regions, model
    )
    for grouping in ("true_matters", "clusterer"):
        for method in models.evaluate_risk.METHODS:
            figures = res[grouping][method]
            assert 0.0 <= figures["brier"] <= 1.0 and figures["escalating"] > 0
    true = res["true_matters"]
    assert true["model"]["aupr"] > max(true["count_48h"]["aupr"], true["no_change"]["aupr"])
    assert true["model"]["brier"] < true["count_48h"]["brier"]
    assert sum(r["n"] for r in true["reliability"]["model"]) == true["model"]["n"]


def test_commands(sets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(config_dir=CONFIGS)
    out = tmp_path / "models"
    args = argparse.Namespace(input=sets / "train", truth=None, output=out, grouping="baseline")
    assert models.training.main(settings, args) == 0
    version = promoted_version(out)
    assert version and (out / f"{version}.metrics.json").is_file()
    report = tmp_path / "eval.json"
    args = argparse.Namespace(
        input=sets / "held" / "reports.jsonl", truth=sets / "held", json=report
    )
    assert models.evaluate_risk.main(settings, args) == 0
    text = capsys.readouterr().out
    assert "TRUE matters" in text and "END TO END" in text and "count_48h" in text
    assert "calibration" in text and "slow_burn" in text
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["true_matters"]["model"]["aupr"] is not None
    with pytest.raises(ModelError):
        find_sets(sets / "held" / "reports.jsonl", None)


def test_training_needs_both_outcomes(sets: Path, config: Config, regions: Regions) -> None:
    calm = LabelledSet("calm", sets / "train" / "a" / "reports.jsonl", None, {})
    with pytest.raises(ModelError):
        train([calm], config, regions)


def test_alert_measures_on_a_tiny_case() -> None:
    g = np.array(["a", "a", "b", "c"])
    ts = np.array([0.0, 50 * 3600.0, 0.0, 0.0])
    t_inc = np.array([100 * 3600.0, 100 * 3600.0, np.nan, 10 * 3600.0])
    res = models.risk_metrics.alerts(g, ts, t_inc, np.array([1, 1, 0, 0]), 30.0)
    assert (res["precision"], res["recall"], res["recall_72h"]) == (1.0, 0.5, 0.5)
    assert res["median_lead_h"] == 100.0 and res["false_alerts_30d"] == 0.0


def test_noisy_replay_grouping_is_a_choice(
    trained: tuple[RiskModel, dict], config: Config, regions: Regions
) -> None:
    from models.clustering import BaselineClusterer, Clusterer

    _, metrics = trained
    assert metrics["groupings"] == ["true matters", "BaselineClusterer"]  # the default
    noisy = models.training.noisy_clusterer
    assert isinstance(noisy("live", config, regions), Clusterer)
    assert isinstance(noisy("baseline", config, regions), BaselineClusterer)
    with pytest.raises(ModelError):
        noisy("other", config, regions)
