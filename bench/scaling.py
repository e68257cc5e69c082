"""Cost per report as history grows: reports/s after 10k, 100k and 1M reports of history.

One synthetic stream (the simulator, a new scenario each day, RATE reports a
day over the whole county) is fed to one clusterer. When the history reaches
each size, the next WINDOW reports are timed (CPU time, one core) and memory is
read: resident set size, open matters, saved-state size. Matters quiet for
``matter_window_days`` are evicted, so state and cost stay flat once the window
is full; the index bounds the candidates compared per report.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.common import accepted, config, machine, regions, rss_mb, write_result
from minqing.records import Accepted
from minqing.regions import Regions
from models.clustering import Clusterer
from producers.simulator import DEFAULT_START, SimConfig, scenario

log = logging.getLogger(__name__)
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
RATE = 1000  # reports a day: a busy county (Zhuji has ~500 villages, two informants each)
WINDOW = 5000
MATTERS_PER_DAY = 230  # the simulator writes ~4.3 reports per matter


def stream(where: Regions, seed: int = 7000) -> Iterator[Accepted]:
    """An endless stream of simulated reports, about RATE a day, day after day."""
    day = 0
    while True:
        cfg = SimConfig(seed=seed + day, n_matters=MATTERS_PER_DAY, days=1.0,
                        start=DEFAULT_START + timedelta(days=day))  # fmt: skip
        for report, _ in scenario(cfg, where):
            yield accepted(report, where)
        day += 1


def measure(
    clusterer: Clusterer, state: Any, items: Iterator[Accepted]
) -> tuple[Any, dict[str, Any]]:
    batch = [next(items) for _ in range(WINDOW)]
    gc.collect()
    t0 = time.process_time()
    for item in batch:
        state, _ = clusterer.update(state, item)
    spent = time.process_time() - t0
    return state, {"reports_per_s": round(WINDOW / spent, 1), "rss_mb": rss_mb(),
                   "open_matters": state.n_matters(),
                   "state_mb": round(len(state.to_json().encode()) / 2**20, 1)}  # fmt: skip


def main(quick: bool = False) -> dict[str, Any]:
    cfg = config()
    where = regions(cfg)
    clusterer = Clusterer.from_config(cfg, where)
    state, items, fed, points = clusterer.init(), stream(where), 0, []
    start = time.monotonic()
    for size in QUICK_SIZES if quick else SIZES:
        while fed < size:
            state, _ = clusterer.update(state, next(items))
            fed += 1
        state, point = measure(clusterer, state, items)
        fed += WINDOW
        points.append({"history": size, **point})
        log.info("history %d: %s (%.0f s so far)", size, point, time.monotonic() - start)
    first, last = points[0]["reports_per_s"], points[-1]["reports_per_s"]
    result = {"points": points, "rate_per_day": RATE, "window_reports": WINDOW,
              "matter_window_days": cfg.clustering.matter_window_days,
              "slowdown_last_vs_first": round(first / last, 3), "machine": machine()}  # fmt: skip
    write_result("scaling", result)
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = ["## Cost per report as history grows", "",
             f"Synthetic stream, {result['rate_per_day']} reports/day; each point times the next "
             f"{result['window_reports']} reports (CPU time, one core).", "",
             "| history | reports/s | RSS MB | open matters | saved state MB |",
             "|---|---|---|---|---|"]  # fmt: skip
    for p in result["points"]:
        lines.append(f"| {p['history']:,} | {p['reports_per_s']:.0f} | {p['rss_mb']:.0f} | "
                     f"{p['open_matters']:,} | {p['state_mb']:.1f} |")  # fmt: skip
    lines += ["", f"Slowdown, largest history vs smallest: {result['slowdown_last_vs_first']}x "
              "(acceptance: at most 1.5x)."]  # fmt: skip
    return "\n".join(lines) + "\n"
