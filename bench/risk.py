"""Benchmark: the time to score one matter update, as the worker does it (budget: 1 ms on average).

Times ``RiskScorer.update`` alone (clustering done beforehand) with the promoted
model, on a generated scenario and, when ../shared is present, on the real
board messages of the replay fixture (longer texts). ``run()`` returns the
figures; ``python -m bench.risk`` prints them as JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from minqing.config import load_config
from minqing.records import Accepted, Matter
from minqing.regions import Regions
from models.risk import make_scorer
from models.risk_data import read_reports, true_stream
from producers.scenarios import generate, preset

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "checks" / "fixtures" / "replay_input.jsonl"
BUDGET_US = 1000.0
RUNS = 3

Events = list[tuple[Matter, Accepted]]


def timed(events: Events) -> dict[str, Any]:
    """Per-update times over ``RUNS`` passes (a fresh state each), the best pass reported."""
    config = load_config(ROOT / "configs")
    scorer = make_scorer(config.risk, config.signals)
    passes = []
    for _ in range(RUNS):
        state, times = scorer.init(), []
        for matter, item in events:
            at = item.report.received_at
            assert at is not None
            t0 = time.perf_counter()
            state, _ = scorer.update(state, matter, item.report.report_id or "", at, item)
            times.append(time.perf_counter() - t0)
        passes.append(times)
    best = min(passes, key=sum)
    q = statistics.quantiles(best, n=100)
    return {
        "updates": len(best), "mean_us": round(sum(best) / len(best) * 1e6, 1),
        "p50_us": round(q[49] * 1e6, 1), "p99_us": round(q[98] * 1e6, 1),
        "model": scorer.model.version if scorer.model else "rule-v2",
    }  # fmt: skip


def generated_events(regions: Regions) -> Events:
    sc = generate(preset("shifted", seed=301, n_matters=300), regions)
    return list(true_stream(sc.reports, regions, sc.matter_of))


def real_events(regions: Regions) -> Events | None:
    """The replay fixture's real messages, each its own matter (their text is what costs)."""
    if not REAL.is_file():
        return None
    reports = read_reports(REAL)
    return list(
        true_stream(reports, regions, {r.report_id or "": r.report_id or "" for r in reports})
    )


def run() -> dict[str, Any]:
    regions = Regions.from_csv(load_config(ROOT / "configs").region_file)
    out: dict[str, Any] = {"name": "risk_update", "budget_us": BUDGET_US}
    out["generated"] = timed(generated_events(regions))
    real = real_events(regions)
    out["real"] = timed(real) if real else f"not run: {REAL} not present"
    worst = max(v["mean_us"] for v in (out["generated"], out["real"]) if isinstance(v, dict))
    out["ok"] = worst < BUDGET_US
    return out


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), ensure_ascii=False, indent=1) + "\n")
