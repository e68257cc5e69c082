"""Fit the matcher's weights and thresholds on labelled pairs, with cross-validation.

Pairs come from replaying each labelled set with the true matters (teacher
forcing): for every report, the candidates the clusterer's index finds among
the open true matters, each a row of matcher features, labelled 1 for the
report's own matter. Weights: a logistic regression on those pairs.
Thresholds: those that give the best mean B-cubed F1 when the clusterer itself
runs on held-out folds (four folds: a quarter of the real messages by time plus
one synthetic scenario each), so the figures reported are on data the weights
never saw: the threshold for reports with a place from the synthetic sets, the
one for reports without (all the real messages) from the real set, and the
merge threshold from both. The final weights are fitted on all folds.

The synthetic TEST_SEEDS are never used here (bench/clustering.py scores them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from bench import devset
from bench.common import (
    DATA,
    FIT_SEEDS,
    Dataset,
    config,
    from_rows,
    read_jsonl,
    regions,
    synthetic,
    write_result,
)
from minqing.config import ClusteringConfig
from minqing.records import Accepted
from models.cluster_state import ClusterState
from models.clustering import Clusterer, report_key
from models.clustering_metrics import score
from models.matcher import FEATURES, feature_matrix
from models.matter_state import MatterState, member_of, new_matter
from models.report_view import Report

log = logging.getLogger(__name__)
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
MERGES = (0.8, 0.9, 0.95)


@dataclass
class Pairs:
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.int64]
    placed: npt.NDArray[np.bool_]  # the report had a place (township)
    recall: float  # share of reports whose open true matter was among the candidates


def _join_truth(state: ClusterState, r: Report, item: Accepted, truth: MatterState | None,
                labels: tuple[dict[str, str], dict[str, str], str]) -> None:  # fmt: skip
    """Add the report to its true matter (opening it if it is not open)."""
    label_of, open_of, label = labels
    member = member_of(r, item.report.title, list(item.report.signals))
    if truth is None:
        truth = new_matter(member, r.block, r.county, r.tvec, r.cvec)
        state.put(truth)
        open_of[label], label_of[truth.matter_id] = truth.matter_id, label
    else:
        truth.add(member, r.tvec, r.cvec)
        state.touch(truth, r.key, r.keys)


def teacher_pairs(clusterer: Clusterer, data: Dataset) -> Pairs:
    """Candidate features for every report, joining each report to its true matter."""
    state = clusterer.init()
    label_of: dict[str, str] = {}  # matter id -> its true label
    open_of: dict[str, str] = {}  # true label -> its open matter's id
    xs, ys, placed, found, reachable = [], [], [], 0, 0
    for item, label in zip(data.items, data.labels, strict=True):
        r = clusterer.read(state, item, report_key(item))
        cands = clusterer.candidates(state, r)
        truth = state.matter(open_of.get(label, ""))
        if cands:
            xs.append(feature_matrix(r, cands))
            ys += [int(label_of[m.matter_id] == label) for m in cands]
            placed += [bool(r.block)] * len(cands)
        reachable += truth is not None
        found += truth is not None and any(m is truth for m in cands)
        _join_truth(state, r, item, truth, (label_of, open_of, label))
    x = np.vstack(xs) if xs else np.zeros((0, len(FEATURES)))
    return Pairs(x, np.array(ys, dtype=np.int64), np.array(placed, dtype=bool),
                 found / reachable if reachable else 1.0)  # fmt: skip


Fit = dict[str, Any]  # weights, bias, weights_unplaced, bias_unplaced


def _logistic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int64]
) -> tuple[dict[str, float], float]:
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    weights = {f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_[0], strict=True)}
    return weights, round(float(model.intercept_[0]), 4)


def fit_weights(pairs: list[Pairs]) -> Fit:
    """Two logistic regressions: pairs of reports with a place, and of reports without."""
    x = np.vstack([p.x for p in pairs])
    y = np.concatenate([p.y for p in pairs])
    placed = np.concatenate([p.placed for p in pairs])
    w, b = _logistic(x[placed], y[placed])
    wu, bu = _logistic(x[~placed], y[~placed])
    return {"weights": w, "bias": b, "weights_unplaced": wu, "bias_unplaced": bu}


def with_fit(cfg: ClusteringConfig, fit: Fit, thresholds: tuple[float, float],
             merge: float) -> ClusteringConfig:  # fmt: skip
    """``cfg`` with fitted weights and (placed, unplaced) thresholds."""
    return cfg.model_copy(update={
        "match_weights": fit["weights"], "match_bias": fit["bias"],
        "match_weights_unplaced": fit["weights_unplaced"],
        "match_bias_unplaced": fit["bias_unplaced"],
        "match_threshold": thresholds[0], "match_threshold_unplaced": thresholds[1],
        "merge_threshold": merge,
    })  # fmt: skip


def run(clusterer: Clusterer, data: Dataset) -> list[str]:
    state, out = clusterer.init(), []
    for item in data.items:
        state, update = clusterer.update(state, item)
        out.append(update.matter.matter_id)
    return out


def fold_sets() -> list[list[Dataset]]:
    """Four folds: a quarter of the real set by time (if present) and one synthetic scenario."""
    where = regions()
    folds = [[synthetic(seed, where)] for seed in FIT_SEEDS]
    path = devset.build(DATA / "teddy_dev.jsonl")
    if path is not None:
        real = from_rows("teddy", read_jsonl(path), where)
        n = len(real.items)
        for k, fold in enumerate(folds):
            lo, hi = k * n // len(folds), (k + 1) * n // len(folds)
            fold.append(Dataset(f"teddy-q{k + 1}", real.items[lo:hi], real.labels[lo:hi]))
    return folds


def cross_validate(base: ClusteringConfig, folds: list[list[Dataset]], pairs: list[list[Pairs]],
                   clusterer: Clusterer) -> dict[str, Any]:  # fmt: skip
    """Held-out scores per "threshold/merge", one row per fold and data set."""
    table: dict[str, Any] = {}
    for k, held in enumerate(folds):
        fit = fit_weights([p for j, ps in enumerate(pairs) if j != k for p in ps])
        for t in THRESHOLDS:
            for mg in MERGES:
                c = Clusterer(with_fit(base, fit, (t, t), mg))
                c.words = clusterer.words
                for d in held:
                    s = score(d.labels, run(c, d))
                    table.setdefault(f"{t}/{mg}", []).append(
                        {"fold": k, "set": d.name, **s.as_dict()}
                    )
    return table


def _mean_f1(rows: list[dict[str, Any]], prefix: str) -> float:
    f1s = [r["f1"] for r in rows if r["set"].startswith(prefix)]
    return float(np.mean(f1s)) if f1s else 0.0


def best_settings(table: dict[str, Any]) -> tuple[float, float, float]:
    """(placed threshold from the synthetic folds, unplaced one from the real, merge threshold)."""
    best: tuple[float, float, float, float] | None = None
    for mg in MERGES:
        keys = [k for k in sorted(table) if k.endswith(f"/{mg}")]
        placed = max(keys, key=lambda k: _mean_f1(table[k], "synthetic"))
        unplaced = max(keys, key=lambda k: _mean_f1(table[k], "teddy"))
        total = _mean_f1(table[placed], "synthetic") + _mean_f1(table[unplaced], "teddy")
        if best is None or total > best[0] + 1e-9:
            best = (total, float(placed.split("/")[0]), float(unplaced.split("/")[0]), mg)
    assert best is not None
    return best[1], best[2], best[3]


def main(quick: bool = False) -> dict[str, Any]:
    cfg = config()
    base = cfg.clustering
    clusterer = Clusterer(base, regions(cfg))
    folds = fold_sets()
    pairs = [[teacher_pairs(clusterer, d) for d in fold] for fold in folds]
    table = cross_validate(base, folds, pairs, clusterer)
    placed, unplaced, merge = best_settings(table)
    fit = fit_weights([p for ps in pairs for p in ps])
    heldout = [r for r in table[f"{placed}/{merge}"] if r["set"].startswith("synthetic")]
    heldout += [r for r in table[f"{unplaced}/{merge}"] if r["set"].startswith("teddy")]
    result = {
        **fit, "match_threshold": placed,
        "match_threshold_unplaced": unplaced, "merge_threshold": merge,
        "n_pairs": int(sum(len(p.y) for ps in pairs for p in ps)),
        "n_positive": int(sum(int(p.y.sum()) for ps in pairs for p in ps)),
        "candidate_recall": {d.name: round(p.recall, 4) for f, ps in zip(folds, pairs, strict=True)
                             for d, p in zip(f, ps, strict=True)},
        "cv_heldout": heldout,
        "cv_grid_mean_f1": {k: {"synthetic": round(_mean_f1(v, "synthetic"), 4),
                                "teddy": round(_mean_f1(v, "teddy"), 4)} for k, v in table.items()},
    }  # fmt: skip
    write_result("fit", result)
    log.info("fitted; for configs/minqing.toml [clustering]:\n%s", toml_snippet(result))
    return result


def toml_snippet(result: dict[str, Any]) -> str:
    """The fitted values as they go into configs/minqing.toml (and ClusteringConfig's defaults)."""

    def table(w: dict[str, float]) -> str:
        return "{ " + ", ".join(f"{k} = {v}" for k, v in w.items()) + " }"

    return "\n".join([
        f"match_threshold = {result['match_threshold']}",
        f"match_threshold_unplaced = {result['match_threshold_unplaced']}",
        f"merge_threshold = {result['merge_threshold']}",
        f"match_bias = {result['bias']}",
        f"match_weights = {table(result['weights'])}",
        f"match_bias_unplaced = {result['bias_unplaced']}",
        f"match_weights_unplaced = {table(result['weights_unplaced'])}",
    ])  # fmt: skip


def _weights_table(result: dict[str, Any]) -> list[str]:
    w, wu = result["weights"], result["weights_unplaced"]
    lines = ["| feature | weight (placed) | weight (unplaced) |", "|---|---|---|",
             f"| bias | {result['bias']} | {result['bias_unplaced']} |"]  # fmt: skip
    return lines + [f"| {f} | {w[f]} | {wu[f]} |" for f in FEATURES]


def markdown(result: dict[str, Any]) -> str:
    """Fitted weights and the cross-validated (held-out) figures, for SUMMARY.md."""
    lines = ["## Matcher fit (cross-validated)", "",
             f"{result['n_pairs']:,} candidate pairs, {result['n_positive']:,} of the same matter. "
             f"Thresholds: {result['match_threshold']} (placed), "
             f"{result['match_threshold_unplaced']} (unplaced), merge {result['merge_threshold']}.",
             "", *_weights_table(result), "",
             "Held-out B-cubed (weights fitted without the fold):", "",
             "| fold | set | B3 P | B3 R | B3 F1 | ARI | AMI |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {r['fold']} | {r['set']} | {r['precision']:.4f} | {r['recall']:.4f} | "
        f"{r['f1']:.4f} | {r['ari']:.4f} | {r['ami']:.4f} |"
        for r in result["cv_heldout"]
    ]
    recall = ", ".join(f"{k} {v}" for k, v in result["candidate_recall"].items())
    lines += ["", f"Candidate recall (true open matter among the candidates): {recall}"]
    return "\n".join(lines) + "\n"
