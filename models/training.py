"""``minqing train``: fit the risk model on labelled reports and store it as a new version.

Inputs are files now (the warehouse comes later): ``--input REPORTS.jsonl
--truth DIR``, or ``--input`` a folder whose subfolders each hold reports.jsonl
and the truth files (several scenarios: each is replayed on its own clock).
Labels may also come from outcome records (``train(..., outcomes=...)``).
Steps: fit the intent classifier on the hand-written clauses; compute every
update's features with it; compare gradient boosting and logistic regression
by cross-validation grouped by matter; fit the better on everything; calibrate
it on its cross-validated scores; save it with its metrics and promote it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minqing.config import Config, load_config
from minqing.errors import ModelError
from minqing.regions import Regions
from minqing.settings import Settings
from models import intent, risk_fit, risk_metrics
from models.clustering import BaselineClusterer
from models.intent_examples import EXAMPLES
from models.model_store import promote, save
from models.risk import model_dir
from models.risk_data import (
    Outcome,
    clustered_stream,
    read_reports,
    read_truth,
    real_clusterer,
    true_stream,
)
from models.risk_dataset import Rows, feature_rows, record_resolver, resolver
from models.risk_features import FEATURES
from models.risk_model import RiskModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledSet:
    """One stream of reports and where its labels come from."""

    name: str
    reports: Path
    truth: Path | None = None  # truth_*.csv folder; None: ``outcomes`` by clusterer matter id
    outcomes: dict[str, Outcome] | None = None


def find_sets(input_path: Path, truth: Path | None) -> list[LabelledSet]:
    """One set for a file with ``--truth``; a folder's scenario subfolders otherwise."""
    if input_path.is_file():
        if truth is None:
            raise ModelError("--truth DIR is needed with a reports file / 需要 --truth 真值目录")
        return [LabelledSet(input_path.stem, input_path, truth)]
    subs = sorted(p for p in input_path.iterdir() if (p / "reports.jsonl").is_file())
    if not subs:
        raise ModelError(f"no reports.jsonl under / 未找到训练数据 {input_path}")
    return [LabelledSet(p.name, p / "reports.jsonl", p) for p in subs]


def rows_of(s: LabelledSet, config: Config, regions: Regions,
            clf: intent.IntentClassifier) -> list[tuple[Rows, bool]]:  # fmt: skip
    """Rows of one set: (rows, grouped by the true matters?).

    With truth files, the reports are replayed twice: grouped by their true
    matters, and as a clusterer groups them (labels still by true matter), so
    the model also learns from the split and merged matters it will see live.
    The reference clusterer is used, so training does not move with the live one.
    """
    reports = read_reports(s.reports)
    if s.truth is None:
        stream = clustered_stream(reports, real_clusterer(config, regions), regions)
        return [(feature_rows(stream, record_resolver(s.outcomes or {}), clf, config.risk), False)]
    truth = read_truth(s.truth)
    resolve = resolver(truth.matter_of, truth.outcomes)
    true = feature_rows(true_stream(reports, regions, truth.matter_of), resolve, clf, config.risk)
    noisy = clustered_stream(reports, BaselineClusterer(config.clustering), regions)
    return [(true, True), (feature_rows(noisy, resolve, clf, config.risk), False)]


def stack(all_rows: list[tuple[str, Rows, bool]]) -> dict[str, np.ndarray]:
    """Kept rows of every set: features, labels, matter groups (unique across sets, shared by
    the copies of one matter, so no fold sees a matter it is tested on), times."""
    keys = ("x", "y", "group", "ts", "t_inc", "true")
    cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for name, rows, true in all_rows:
        keep = np.asarray(rows.keep, bool)
        cols["true"].append(np.full(int(keep.sum()), true))
        cols["x"].append(np.asarray(rows.x, float)[keep])
        cols["y"].append(np.asarray(rows.y, int)[keep])
        cols["group"].append(np.asarray([f"{name}/{g}" for g in rows.group])[keep])
        cols["ts"].append(np.asarray(rows.ts, float)[keep])
        cols["t_inc"].append(np.asarray(rows.t_inc, float)[keep])
    out = {k: np.concatenate(v) for k, v in cols.items() if k != "x"}
    out["x"] = np.vstack(cols["x"])
    return out


def suggest_levels(d: dict[str, np.ndarray], probs: np.ndarray) -> dict[str, float]:
    """Level thresholds from cross-validated probabilities (copy them to configs/minqing.toml).

    orange: the lowest (0.05 grid) whose matter alerts are right at least 2 times in 3;
    red: at least 4 times in 5; yellow and blue: fixed steps below orange, for watching.
    """
    grid = [round(0.05 * i, 2) for i in range(2, 20)]

    def lowest(target: float) -> float:
        for c in grid:
            a = risk_metrics.alerts(d["group"], d["ts"], d["t_inc"], probs >= c, 1.0)
            if a["precision"] >= target:
                return c
        return grid[-1]

    orange = lowest(2 / 3)
    return {"blue": round(orange / 4, 2), "yellow": round(orange * 0.625, 2), "orange": orange,
            "red": max(lowest(0.8), orange + 0.1)}  # fmt: skip


def train(sets: list[LabelledSet], config: Config,
          regions: Regions) -> tuple[RiskModel, dict[str, Any]]:  # fmt: skip
    """The fitted, calibrated model (version "" until saved) and its training metrics."""
    clf = intent.fit(list(EXAMPLES))
    all_rows = [(s.name, r, t) for s in sets for r, t in rows_of(s, config, regions, clf)]
    d = stack(all_rows)
    x, y, groups = d["x"], d["y"], d["group"]
    if len(set(y.tolist())) < 2:
        raise ModelError(
            "training needs updates with and without an incident ahead / 样本缺少正例或负例"
        )
    scores = risk_fit.compare(x, y, groups)
    kind = risk_fit.choose(scores)
    fitted = risk_fit.fit(kind, x, y)
    calibration = risk_fit.calibrate(scores[kind]["raw"], y)
    model = RiskModel("", FEATURES, risk_fit.export(kind, fitted), calibration, clf,
                      config.risk.horizon_hours)  # fmt: skip
    probs = np.interp(scores[kind]["raw"], calibration.knots, calibration.probs)
    metrics = {
        "kind": kind, "features": list(FEATURES), "horizon_hours": config.risk.horizon_hours,
        "trained_on": [s.name for s in sets], "groupings": ["true matters", "BaselineClusterer"],
        "updates": len(y), "positives": int(y.sum()), "matters": len(set(groups.tolist())),
        "cross_validation": {k: {m: v[m] for m in ("aupr", "brier")} for k, v in scores.items()},
        "suggested_levels": suggest_levels({k: v[d["true"]] for k, v in d.items()},
                                           probs[d["true"]]),
    }  # fmt: skip
    return model, metrics


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Train; save the version and its metrics in --output (default: the model folder); promote."""
    if args.input is None:
        raise ModelError("training from the warehouse is not wired yet: give --input and --truth"
                         " / 暂不支持从数据仓库训练，请提供 --input 与 --truth")  # fmt: skip
    config = load_config(settings.config_dir)
    regions = Regions.from_csv(config.region_file)
    model, metrics = train(find_sets(args.input, args.truth), config, regions)
    folder = args.output or model_dir(config.risk)
    model = save(folder, model, metrics)
    promote(folder, model.version)
    cv = metrics["cross_validation"]
    sys.stdout.write(f"risk model {model.version} ({metrics['kind']}) -> {folder}\n")
    for kind, m in cv.items():
        sys.stdout.write(
            f"  cross-validated {kind:9s} AUPR {m['aupr']:.3f}  Brier {m['brier']:.4f}\n"
        )
    log.info("promoted %s / 已发布", model.version)
    return 0
