"""The trained risk model: a scorer of features, a calibration, and per-feature contributions.

Two kinds, chosen at training time by grouped cross-validation: gradient-boosted
trees (scikit-learn's HistGradientBoostingClassifier, exported to flat arrays)
or logistic regression. Either gives a raw log-odds score and how much each
feature added to it (for trees, Saabas path attribution: each split's change in
the mean score below it is credited to its feature), then isotonic calibration
maps the raw score to a probability. Saved as JSON (arrays base64, exact): no
pickle, so an artifact loads in any version and cannot run code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from minqing.errors import ModelError
from models.base import pack_array, unpack_array
from models.intent import IntentClassifier
from models.risk_features import FEATURES

FORMAT = 1
Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Trees:
    """All trees' nodes in flat arrays; ``roots`` indexes each tree's first node."""

    feature: IntArray
    threshold: Array
    left: IntArray
    right: IntArray
    is_leaf: npt.NDArray[np.bool_]
    value: Array  # leaves: the tree's output; inner nodes: mean output below (by count)
    # (a leaf's left and right are its own index; its feature is 0)
    roots: IntArray
    base: float  # baseline log-odds plus every root's value
    depth: int

    def raw(self, x: Array) -> tuple[float, Array]:
        """Log-odds and each feature's contribution (they sum to log-odds minus ``base``).

        Every node's branch is decided at once; then all trees walk down together.
        A leaf's children are itself, so walking past a leaf stays there and adds 0.
        """
        child = np.where(x[self.feature] <= self.threshold, self.left, self.right)
        delta = self.value[child] - self.value
        idx, path = self.roots, [self.roots]
        for _ in range(self.depth - 1):
            idx = child[idx]
            path.append(idx)
        nodes = np.concatenate(path)
        contrib = np.bincount(self.feature[nodes], delta[nodes], minlength=len(x)).astype(float)
        return self.base + float(contrib.sum()), contrib

    def to_dict(self) -> dict[str, Any]:
        ints = {
            k: pack_array(getattr(self, k), "<i4") for k in ("feature", "left", "right", "roots")
        }
        return {
            **ints, "threshold": pack_array(self.threshold, "<f8"),
            "value": pack_array(self.value, "<f8"), "is_leaf": pack_array(self.is_leaf, "<u1"),
            "base": self.base, "depth": self.depth,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trees:
        i = {
            k: unpack_array(d[k], "<i4").astype(np.int64)
            for k in ("feature", "left", "right", "roots")
        }
        return cls(
            i["feature"], unpack_array(d["threshold"], "<f8"), i["left"], i["right"],
            unpack_array(d["is_leaf"], "<u1").astype(bool), unpack_array(d["value"], "<f8"),
            i["roots"], float(d["base"]), int(d["depth"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Linear:
    """Standardised logistic regression: log-odds = base + sum(coef * (x - mean) / scale)."""

    mean: Array
    scale: Array
    coef: Array
    base: float

    def raw(self, x: Array) -> tuple[float, Array]:
        contrib = self.coef * (x - self.mean) / self.scale
        return self.base + float(contrib.sum()), contrib

    def to_dict(self) -> dict[str, Any]:
        arrays = {k: pack_array(getattr(self, k), "<f8") for k in ("mean", "scale", "coef")}
        return {**arrays, "base": self.base}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linear:
        a = {k: unpack_array(d[k], "<f8") for k in ("mean", "scale", "coef")}
        return cls(a["mean"], a["scale"], a["coef"], float(d["base"]))


@dataclass(frozen=True)
class Calibration:
    """Isotonic map from raw log-odds to probability (linear between knots, flat outside)."""

    knots: Array
    probs: Array

    def __call__(self, raw: float) -> float:
        return float(np.interp(raw, self.knots, self.probs))

    def to_dict(self) -> dict[str, Any]:
        return {"knots": pack_array(self.knots, "<f8"), "probs": pack_array(self.probs, "<f8")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        return cls(unpack_array(d["knots"], "<f8"), unpack_array(d["probs"], "<f8"))


@dataclass(frozen=True)
class RiskModel:
    """P(the matter has an incident within ``horizon_hours``) from its FEATURES."""

    version: str
    features: tuple[str, ...]
    scorer: Trees | Linear
    calibration: Calibration
    intent: IntentClassifier | None
    horizon_hours: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "gbm" if isinstance(self.scorer, Trees) else "logistic"

    def predict(self, x: list[float]) -> tuple[float, Array]:
        """Calibrated probability and each feature's contribution to the log-odds."""
        raw, contrib = self.scorer.raw(np.asarray(x, dtype=np.float64))
        return self.calibration(raw), contrib

    def to_json(self) -> str:
        doc = {
            "format": FORMAT, "version": self.version, "kind": self.kind,
            "features": list(self.features), "scorer": self.scorer.to_dict(),
            "calibration": self.calibration.to_dict(),
            "intent": self.intent.to_dict() if self.intent else None,
            "horizon_hours": self.horizon_hours, "meta": self.meta,
        }  # fmt: skip
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> RiskModel:
        try:
            d = json.loads(text)
            if d["format"] != FORMAT:
                raise ModelError(f"risk model format {d['format']} (expected {FORMAT})")
            if tuple(d["features"]) != FEATURES:
                raise ModelError("trained on other features than this code computes: retrain")
            scorer = (Trees if d["kind"] == "gbm" else Linear).from_dict(d["scorer"])
            intent = IntentClassifier.from_dict(d["intent"]) if d["intent"] else None
            return cls(d["version"], tuple(d["features"]), scorer,
                       Calibration.from_dict(d["calibration"]), intent,
                       float(d["horizon_hours"]), d.get("meta", {}))  # fmt: skip
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"not a risk model / 不是有效的风险模型: {e}") from e

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        try:
            return cls.from_json(path.read_bytes())
        except OSError as e:
            raise ModelError(f"cannot read risk model / 无法读取风险模型 {path}: {e}") from e


def content_id(text: str) -> str:
    """A short stable id of an artifact's content.

    >>> content_id("abc")
    'a9993e36'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
