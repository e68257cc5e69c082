"""``minqing evaluate clustering --input LABELLED.jsonl [--json OUT]``.

Replays reports that carry a ``matter_label`` (the true matter) through the
configured clusterer, exactly as ``minqing replay`` would (event-time order,
reports repaired as replay repairs them), and prints B-cubed precision, recall
and F1, ARI and AMI, and the same B-cubed figures over the reports of matters
with more than one report (the part of the data clustering is for).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from minqing.config import load_config
from minqing.errors import ModelError
from minqing.records import Accepted
from minqing.regions import Regions
from minqing.settings import Settings
from models.clustering import Clusterer
from models.clustering_metrics import bcubed, score
from models.replay import prepared, read_reports

log = logging.getLogger(__name__)


def labelled(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Report dicts without their labels, and report id -> label; ModelError if one lacks it."""
    reports, labels = [], {}
    for n, raw in enumerate(rows, start=1):
        raw = dict(raw)
        if "matter_label" not in raw or not raw.get("report_id"):
            raise ModelError(f"line {n}: needs report_id and matter_label / 第{n}行缺少标注")
        labels[str(raw["report_id"])] = str(raw.pop("matter_label"))
        reports.append(raw)
    return reports, labels


def evaluate(rows: Iterable[dict[str, Any]], clusterer: Clusterer,
             regions: Regions) -> dict[str, Any]:  # fmt: skip
    """The figures for one labelled file (see the module docstring)."""
    reports, labels = labelled(rows)
    state = clusterer.init()
    truth, found = [], []
    t0 = time.process_time()
    for report, _ in prepared(reports):
        item = Accepted(report=report, place=regions.locate(report.region_code, report.region_text))
        state, update = clusterer.update(state, item)
        truth.append(labels[report.report_id or ""])
        found.append(update.matter.matter_id)
    spent = time.process_time() - t0
    sizes = Counter(truth)
    multi = [i for i, t in enumerate(truth) if sizes[t] > 1]
    p, r, f = bcubed([truth[i] for i in multi], [found[i] for i in multi]) if multi else (0, 0, 0)
    return {
        **score(truth, found).as_dict(),
        "recurring": {"n_reports": len(multi), "precision": round(p, 4), "recall": round(r, 4),
                      "f1": round(f, 4)},
        "reports_per_cpu_second": round(len(truth) / spent, 1) if spent > 0 else None,
    }  # fmt: skip


def table(figures: dict[str, Any]) -> str:
    rec = figures["recurring"]
    return "\n".join([
        "metric                      value",
        f"B-cubed precision          {figures['precision']:.4f}",
        f"B-cubed recall             {figures['recall']:.4f}",
        f"B-cubed F1                 {figures['f1']:.4f}",
        f"ARI                        {figures['ari']:.4f}",
        f"AMI                        {figures['ami']:.4f}",
        f"reports / true / found     {figures['n_reports']} / {figures['n_true']} / "
        f"{figures['n_found']}",
        f"recurring matters: {rec['n_reports']} reports, B-cubed P {rec['precision']:.4f} "
        f"R {rec['recall']:.4f} F1 {rec['f1']:.4f}",
        f"reports per CPU second     {figures['reports_per_cpu_second']}",
    ]) + "\n"  # fmt: skip


def main(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    regions = Regions.from_csv(config.region_file)
    with args.input.open(encoding="utf-8-sig", errors="replace") as f:
        rows = list(read_reports(f))
    figures = evaluate(rows, Clusterer.from_config(config, regions), regions)
    sys.stdout.write(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", "utf-8")
        log.info("figures written to %s", args.json)
    return 0
