"""``minqing evaluate risk --input F --truth DIR [--json OUT]``: the model beside two baselines.

Measured twice: with the TRUE matters of truth_matters.csv (risk apart from
clustering errors), then end to end with the real clusterer (labels still from
each report's true matter). Baselines, each given every advantage:

- count_48h: alert at >= 5 reports of the matter within 48 h; its probability
  is the observed incident rate per count, fitted on the evaluated rows.
- no_change: risk = the matter's current size (reports so far); probability
  fitted the same way; its alert threshold is the size with the best F1 on the
  evaluated rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from minqing.config import Config, RiskConfig, load_config
from minqing.records import LEVELS
from minqing.regions import Regions
from minqing.settings import Settings
from models import risk_metrics as rm
from models.risk import RiskScorer, load_model
from models.risk_data import (
    Truth,
    clustered_stream,
    read_reports,
    read_truth,
    real_clusterer,
    true_stream,
)
from models.risk_dataset import resolver, scored_rows
from models.risk_model import RiskModel

METHODS = ("model", "count_48h", "no_change")
COUNT_ALERT = 5
ROWS = (
    ("aupr", "AUPR"), ("auroc", "AUROC"), ("brier", "Brier"), ("precision", "precision >= orange"),
    ("recall", "recall >= orange"), ("recall_24h", "recall, lead >= 24 h"),
    ("recall_72h", "recall, lead >= 72 h"), ("median_lead_h", "median lead (h)"),
    ("false_alerts_30d", "false alerts / 30 d"), ("alerted", "matters alerted"),
)  # fmt: skip


def measure(a: dict[str, np.ndarray], cfg: RiskConfig) -> dict[str, Any]:
    """Every figure of one scored stream, for the model and both baselines."""
    k = a["keep"].astype(bool)
    y, span = a["y"][k], (a["ts"].max() - a["ts"].min()) / 86400.0
    orange = np.array([LEVELS.index(v) >= LEVELS.index("orange") for v in a["level"]])
    sizes = sorted(set(a["size"].tolist()))
    size_cut = rm.best_threshold(a["group"], a["ts"], a["t_inc"], a["size"], sizes)
    methods = {
        "model": (a["risk"], a["risk"][k], orange),
        "count_48h": (
            a["count48"],
            rm.in_sample_probs(a["count48"][k], y),
            a["count48"] >= COUNT_ALERT,
        ),
        "no_change": (a["size"], rm.in_sample_probs(a["size"][k], y), a["size"] >= size_cut),
    }
    out: dict[str, Any] = {"no_change_threshold": size_cut, "span_days": round(span, 1)}
    for name, (score, probs, flagged) in methods.items():
        point = rm.pointwise(y, score[k], probs)
        out[name] = point | rm.alerts(a["group"], a["ts"], a["t_inc"], flagged, span)
        out[name]["_firsts"] = rm.first_alerts(a["group"], a["ts"], a["t_inc"], flagged)
    out["reliability"] = {n: rm.reliability(y, p) for n, (_, p, _) in methods.items()}
    return out


def by_kind(result: dict[str, Any], kinds: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per kind of true matter: how many, and per method the share alerted and with 24 h lead."""
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(kinds.values())):
        ids = [g for g in result["model"]["_firsts"] if kinds.get(g) == kind]
        row: dict[str, Any] = {"matters": len(ids)}
        for m in METHODS:
            firsts = [result[m]["_firsts"][g] for g in ids]
            alerted = [(ti, f) for ti, f in firsts if not math.isnan(f)]
            row[m] = round(len(alerted) / max(1, len(ids)), 3)
            row[f"{m}_24h"] = round(sum(ti - f >= 24 * 3600 for ti, f in alerted if not
                                        math.isnan(ti)) / max(1, len(ids)), 3)  # fmt: skip
        out[kind] = row
    return out


def evaluate(reports_path: Path, truth: Truth, config: Config, regions: Regions,
             model: RiskModel | None) -> dict[str, Any]:  # fmt: skip
    reports = read_reports(reports_path)
    resolve = resolver(truth.matter_of, truth.outcomes)
    out: dict[str, Any] = {"model": model.version if model else "rule-v2"}
    clusterer = real_clusterer(config, regions)
    out["clusterer_name"] = type(clusterer).__name__
    streams = {"true_matters": true_stream(reports, regions, truth.matter_of),
               "clusterer": clustered_stream(reports, clusterer, regions)}  # fmt: skip
    for name, stream in streams.items():
        scorer = RiskScorer(config.risk, config.signals, model)
        out[name] = measure(scored_rows(stream, resolve, scorer).arrays(), config.risk)
    return out


def read_kinds(folder: Path) -> dict[str, str]:
    """The generator's kind of each true matter (empty when the truth file has none)."""
    with (folder / "truth_incidents.csv").open(encoding="utf-8") as f:
        return {r["matter_id"]: r.get("kind") or "" for r in csv.DictReader(f)}


def _cell(v: Any) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return f"{v:.3f}" if isinstance(v, float) and abs(v) < 10 else str(v)


def table(title: str, res: dict[str, Any]) -> str:
    lines = [f"\n{title}  (no_change alerts at size >= {res['no_change_threshold']})",
             f"{'':24s}" + "".join(f"{m:>12s}" for m in METHODS)]  # fmt: skip
    for key, label in ROWS:
        lines.append(f"{label:24s}" + "".join(f"{_cell(res[m][key]):>12s}" for m in METHODS))
    return "\n".join(lines) + "\n"


def reliability_table(rel: list[dict[str, float]]) -> str:
    lines = ["\ncalibration of the model (true matters): bin, updates, mean forecast, observed"]
    lines += [f"  {r['lo']:.1f}-{r['hi']:.1f} {r['n']:7d} {r['forecast']:9.3f} {r['observed']:9.3f}"
              for r in rel]  # fmt: skip
    return "\n".join(lines) + "\n"


def kinds_table(rows: dict[str, dict[str, Any]]) -> str:
    lines = ["\nshare of true matters alerted (>= orange) by kind [and with >= 24 h lead]",
             f"{'kind':14s}{'n':>5s}" + "".join(f"{m:>18s}" for m in METHODS)]  # fmt: skip
    for kind, r in rows.items():
        cells = "".join(f"{r[m]:>10.2f} [{r[m + '_24h']:.2f}]" for m in METHODS)
        lines.append(f"{kind:14s}{r['matters']:>5d}{cells}")
    return "\n".join(lines) + "\n"


def main(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    regions = Regions.from_csv(config.region_file)
    truth, model = read_truth(args.truth), load_model(config.risk)
    result = evaluate(args.input, truth, config, regions, model)
    kinds = read_kinds(args.truth)
    n_esc = Counter(o.escalates for o in truth.outcomes.values())[True]
    sys.stdout.write(f"risk model {result['model']}: {len(truth.outcomes)} true matters, "
                     f"{n_esc} escalate; unit = matter update, horizon "
                     f"{config.risk.horizon_hours:.0f} h\n")  # fmt: skip
    sys.stdout.write(table("TRUE matters (risk alone)", result["true_matters"]))
    name = f"END TO END (real clusterer: {result['clusterer_name']})"
    sys.stdout.write(table(name, result["clusterer"]))
    sys.stdout.write(reliability_table(result["true_matters"]["reliability"]["model"]))
    if any(kinds.values()):
        result["by_kind"] = by_kind(result["true_matters"], kinds)
        sys.stdout.write(kinds_table(result["by_kind"]))
    if args.json:
        args.json.write_text(json.dumps(strip(result), ensure_ascii=False, indent=1), "utf-8")
    return 0


def strip(d: Any) -> Any:
    """The result without private keys, NaN as null (valid JSON)."""
    if isinstance(d, dict):
        return {k: strip(v) for k, v in d.items() if not str(k).startswith("_")}
    if isinstance(d, list):
        return [strip(v) for v in d]
    return None if isinstance(d, float) and math.isnan(d) else d
