"""Shared by the benchmarks: labelled data sets, running a clusterer, timing, writing results."""

from __future__ import annotations

import json
import logging
import platform
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minqing.config import Config, load_config
from minqing.records import Accepted, Report
from minqing.regions import Regions
from minqing.settings import REPO_ROOT
from models.lenient import coerce_report
from producers.simulator import SimConfig, scenario

log = logging.getLogger(__name__)

RESULTS = REPO_ROOT / "bench" / "results"
DATA = REPO_ROOT / "data" / "bench"
# Synthetic labelled sets: fitting uses FIT_SEEDS only, evaluation TEST_SEEDS only.
FIT_SEEDS = (1, 2, 3, 4)
TEST_SEEDS = (101, 102, 103)
SYNTH_MATTERS, SYNTH_DAYS = 400, 14.0


@dataclass
class Dataset:
    """Reports (in event-time order, as replay would feed them) with their true matters."""

    name: str
    items: list[Accepted]
    labels: list[str]


def config() -> Config:
    return load_config(REPO_ROOT / "configs")


def regions(cfg: Config | None = None) -> Regions:
    return Regions.from_csv((cfg or config()).region_file)


def accepted(report: Report, where: Regions) -> Accepted:
    return Accepted(report=report, place=where.locate(report.region_code, report.region_text))


def from_rows(name: str, rows: Iterable[dict[str, Any]], where: Regions) -> Dataset:
    """A data set from report dicts with a ``matter_label`` (the evaluate command's input)."""
    pairs = []
    for raw in rows:
        raw = dict(raw)
        label = str(raw.pop("matter_label"))
        report, _ = coerce_report(raw)
        pairs.append((report, label))
    pairs.sort(key=lambda p: (p[0].received_at is None, p[0].received_at, p[0].report_id or ""))
    return Dataset(name, [accepted(r, where) for r, _ in pairs], [lab for _, lab in pairs])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def synthetic(seed: int, where: Regions, n_matters: int = SYNTH_MATTERS,
              days: float = SYNTH_DAYS) -> Dataset:  # fmt: skip
    """One simulator scenario with its ground truth (report -> matter key)."""
    pairs = scenario(SimConfig(seed=seed, n_matters=n_matters, days=days), where)
    return Dataset(f"synthetic-{seed}", [accepted(r, where) for r, _ in pairs],
                   [key for _, key in pairs])  # fmt: skip


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * resource.getpagesize() / 2**20, 1)


def cpu_rate(n: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """(items per CPU second, result) of ``work`` over ``n`` items: one core, whatever the load."""
    t0 = time.process_time()
    out = work()
    spent = time.process_time() - t0
    return (round(n / spent, 1) if spent > 0 else float("inf")), out


def machine() -> dict[str, str]:
    return {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine()}  # fmt: skip


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", path)
    return path
