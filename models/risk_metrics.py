"""Forecast measures: ranking (AUPR, AUROC), probability (Brier, reliability), alerts (lead time).

Point measures take one row per matter update (see ``models.risk_dataset``).
Alert measures take one alert per true matter: its first update at level
orange or above before its incident (any time for a matter without one). Lead
time is t_incident minus that first alert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

Arr = npt.NDArray[Any]
HOUR = 3600.0


def pointwise(y: Arr, score: Arr, p: Arr | None = None) -> dict[str, float]:
    """AUPR and AUROC of ``score``, Brier of probabilities ``p`` (default: the score itself).

    >>> pointwise(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))["auroc"]
    0.75
    """
    both = len(set(y.tolist())) == 2
    return {
        "aupr": round(float(average_precision_score(y, score)), 4) if both else math.nan,
        "auroc": round(float(roc_auc_score(y, score)), 4) if both else math.nan,
        "brier": round(float(brier_score_loss(y, score if p is None else p)), 4),
        "n": len(y),
        "positives": int(y.sum()),
    }


def reliability(y: Arr, p: Arr, bins: int = 10) -> list[dict[str, float]]:
    """Per probability bin: how many, mean forecast, observed frequency.

    >>> reliability(np.array([0, 1, 1]), np.array([0.05, 0.95, 0.9]), bins=2)[1]["observed"]
    1.0
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    out = []
    for b in range(bins):
        m = which == b
        if m.any():
            out.append({
                "lo": round(float(edges[b]), 2), "hi": round(float(edges[b + 1]), 2),
                "n": int(m.sum()), "forecast": round(float(p[m].mean()), 4),
                "observed": round(float(y[m].mean()), 4),
            })  # fmt: skip
    return out


def first_alerts(group: Arr, ts: Arr, t_inc: Arr, flagged: Arr) -> dict[str, tuple[float, float]]:
    """Per true matter: (t_incident or nan, time of its first flagged update before it, or nan)."""
    out: dict[str, tuple[float, float]] = {}
    for g, t, ti, f in zip(group.tolist(), ts.tolist(), t_inc.tolist(), flagged.tolist(),
                           strict=True):  # fmt: skip
        ti_now, first = out.get(g, (ti, math.nan))
        if f and math.isnan(first) and (math.isnan(ti) or t < ti):
            first = t
        out[g] = (ti_now, first)
    return out


def alerts(group: Arr, ts: Arr, t_inc: Arr, flagged: Arr, span_days: float) -> dict[str, float]:
    """Precision and recall of matter alerts, recall with 24 h / 72 h of lead, lead, false alerts.

    >>> g, t = np.array(["a", "a", "b"]), np.array([0.0, 36 * HOUR, 0.0])
    >>> r = alerts(g, t, np.array([48 * HOUR, 48 * HOUR, np.nan]), np.array([0, 1, 1]), 30.0)
    >>> r["precision"], r["recall"], r["recall_24h"], r["median_lead_h"], r["false_alerts_30d"]
    (0.5, 1.0, 0.0, 12.0, 1.0)
    """
    firsts = first_alerts(group, ts, t_inc, flagged)
    esc = [v for v in firsts.values() if not math.isnan(v[0])]
    alerted = [v for v in firsts.values() if not math.isnan(v[1])]
    leads = [(ti - first) / HOUR for ti, first in esc if not math.isnan(first)]
    false = sum(1 for ti, _ in alerted if math.isnan(ti))
    n = max(1, len(esc))
    return {
        "precision": round(len(leads) / len(alerted), 4) if alerted else math.nan,
        "recall": round(len(leads) / n, 4),
        "recall_24h": round(sum(x >= 24 for x in leads) / n, 4),
        "recall_72h": round(sum(x >= 72 for x in leads) / n, 4),
        "median_lead_h": round(float(np.median(leads)), 1) if leads else math.nan,
        "false_alerts_30d": round(false / max(span_days, 1e-9) * 30.0, 2),
        "escalating": len(esc),
        "alerted": len(alerted),
    }


def in_sample_probs(score: Arr, y: Arr) -> Arr:
    """A baseline's score made a probability by isotonic regression on the evaluated rows.

    In-sample, so it flatters the baseline: a model that beats it beats any honest version.
    """
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    return np.asarray(iso.fit(score, y).predict(score), float)


def best_threshold(group: Arr, ts: Arr, t_inc: Arr, score: Arr,
                   candidates: Sequence[float]) -> float:  # fmt: skip
    """The alert threshold with the best F1 of matter alerts (chosen on the evaluated rows)."""

    def f1(c: float) -> float:
        a = alerts(group, ts, t_inc, score >= c, 1.0)
        p, r = a["precision"], a["recall"]
        return 0.0 if math.isnan(p) or p + r == 0 else 2 * p * r / (p + r)

    return max(candidates, key=lambda c: (f1(c), -c))
