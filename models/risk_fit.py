"""Fitting the risk model: both candidates, grouped cross-validation, calibration, export.

Cross-validation folds by matter (GroupKFold), so no matter is in both the
training and the validation part of a fold: a model cannot score well by
remembering a matter's earlier reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from models.risk_features import FEATURES
from models.risk_model import Array, Calibration, Linear, Trees

KINDS = ("gbm", "logistic")
# Directions the domain notes vouch for; the trees may not learn the opposite from noise.
# More reports, informants, villages or people never lower the risk: analysts expect it, and
# data unlike the training data cannot make the trees say otherwise.
MONOTONE = {
    "n_24h": 1, "n_7d": 1, "n_total": 1, "informants": 1, "informants_24h": 1, "villages": 1,
    "villages_24h": 1, "people": 1, "people_growth_24h": 1, "intent_kinds": 1,
    "intent_informants": 1, "danger": 1, "no_answer": 1, "overdue_days": 1, "angry": 1,
    "repeat_closed": 1, "reopened": 1, "dissatisfied": 1, "answered": -1, "solved": -1, "calm": -1,
}  # fmt: skip


def make(kind: str, seed: int = 0) -> HistGradientBoostingClassifier | Pipeline:
    """An unfitted candidate (fixed seed: training is reproducible)."""
    if kind == "gbm":
        return HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.04, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, random_state=seed, early_stopping=False,
            monotonic_cst=[MONOTONE.get(f, 0) for f in FEATURES],
        )  # fmt: skip
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=5000))


def fit(kind: str, x: Array, y: Array) -> Any:
    """A fitted candidate. One thread: as fast alone, far faster beside other busy processes
    (OpenMP threads spin-wait for each other), and the same trees either way."""
    with threadpool_limits(1):
        return make(kind).fit(x, y)


def out_of_fold(kind: str, x: Array, y: Array, groups: Array, folds: int = 5) -> Array:
    """Raw scores of each row from a model that did not see the row's matter."""
    raw = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        raw[test] = fit(kind, x[train], y[train]).decision_function(x[test])
    return raw


def calibrate(raw: Array, y: Array) -> Calibration:
    """Isotonic regression of outcomes on raw scores, as interpolation knots."""
    # Never quite 0 or 1: data unlike the training data may yet surprise.
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.002, y_max=0.998).fit(raw, y)
    return Calibration(np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float))


def compare(x: Array, y: Array, groups: Array) -> dict[str, dict[str, Any]]:
    """Cross-validated AUPR and Brier (calibrated within the folds' predictions) per kind."""
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        raw = out_of_fold(kind, x, y, groups)
        p = calibrate(raw, y)
        probs = np.array([p(r) for r in raw])
        out[kind] = {
            "aupr": round(float(average_precision_score(y, raw)), 4),
            "brier": round(float(brier_score_loss(y, probs)), 4),
            "raw": raw,
        }
    return out


def choose(scores: dict[str, dict[str, Any]], margin: float = 0.01) -> str:
    """The kind with the best cross-validated AUPR; logistic unless trees win by ``margin``.

    >>> choose({"gbm": {"aupr": 0.70}, "logistic": {"aupr": 0.65}})
    'gbm'
    >>> choose({"gbm": {"aupr": 0.655}, "logistic": {"aupr": 0.65}})
    'logistic'
    """
    return "gbm" if scores["gbm"]["aupr"] >= scores["logistic"]["aupr"] + margin else "logistic"


def export(kind: str, model: Any) -> Trees | Linear:
    return export_trees(model) if kind == "gbm" else export_linear(model)


def export_linear(pipe: Pipeline) -> Linear:
    scaler, lr = pipe[0], pipe[-1]
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coef = np.asarray(lr.coef_[0], float)
    return Linear(np.asarray(scaler.mean_, float), scale, coef, float(lr.intercept_[0]))


def export_trees(m: HistGradientBoostingClassifier) -> Trees:
    """Flatten the fitted trees; inner nodes get the count-weighted mean output below them."""
    cols: dict[str, list[Any]] = {k: [] for k in ("feature", "threshold", "left", "right",
                                                  "is_leaf", "value")}  # fmt: skip
    roots, depth, base = [], 1, float(np.ravel(m._baseline_prediction)[0])
    for (predictor,) in m._predictors:
        nodes, offset = predictor.nodes, len(cols["value"])
        value = _mean_values(nodes)
        roots.append(offset)
        base += float(value[0])
        depth = max(depth, int(nodes["depth"].max()) + 1)
        leaf = nodes["is_leaf"].astype(bool)
        cols["feature"].extend(np.where(leaf, 0, nodes["feature_idx"]).tolist())
        cols["threshold"].extend(nodes["num_threshold"].tolist())
        own = np.arange(len(nodes)) + offset
        cols["left"].extend(np.where(leaf, own, nodes["left"] + offset).tolist())
        cols["right"].extend(np.where(leaf, own, nodes["right"] + offset).tolist())
        cols["is_leaf"].extend(leaf.tolist())
        cols["value"].extend(value.tolist())
    i64 = {k: np.asarray(cols[k], np.int64) for k in ("feature", "left", "right")}
    return Trees(i64["feature"], np.asarray(cols["threshold"], float), i64["left"], i64["right"],
                 np.asarray(cols["is_leaf"], bool), np.asarray(cols["value"], float),
                 np.asarray(roots, np.int64), base, depth)  # fmt: skip


def _mean_values(nodes: Any) -> Array:
    """Leaves keep their output; an inner node averages its children by sample count."""
    value = np.asarray(nodes["value"], float).copy()
    count = np.asarray(nodes["count"], float)
    for i in range(len(nodes) - 1, -1, -1):  # children come after their parent
        if not nodes["is_leaf"][i]:
            left, right = nodes["left"][i], nodes["right"][i]
            total = count[left] + count[right]
            value[i] = (count[left] * value[left] + count[right] * value[right]) / max(total, 1.0)
    return value
