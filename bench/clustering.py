"""Clustering quality and speed, side by side with the peers, on the same reports.

Data: the labelled real development set (bench/devset.py; skipped with a clear
message when ../shared/data is absent) and three synthetic scenarios whose seeds
(TEST_SEEDS) the fitting never saw. Methods: our clusterer as configured, river's
TextClust, offline agglomerative clustering and the previous baseline
(bench/peers.py). Each peer's parameter is chosen on fitting data of the same
kind (synthetic FIT_SEEDS[0]; the real set's first quarter by time), as our
thresholds were. Speed is reports per CPU second on one core.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from bench import devset
from bench.common import (
    DATA,
    FIT_SEEDS,
    TEST_SEEDS,
    Dataset,
    config,
    cpu_rate,
    from_rows,
    machine,
    read_jsonl,
    regions,
    synthetic,
    write_result,
)
from bench.peers import PEERS
from models.clustering import Clusterer
from models.clustering_metrics import bcubed, score

log = logging.getLogger(__name__)
OURS = "minqing Clusterer"


def ours(data: Dataset, clusterer: Clusterer) -> list[str]:
    state, out = clusterer.init(), []
    for item in data.items:
        state, update = clusterer.update(state, item)
        out.append(update.matter.matter_id)
    return out


def recurring(data: Dataset, found: list[str]) -> float:
    """B-cubed F1 over the reports of matters with more than one report."""
    sizes: dict[str, int] = {}
    for t in data.labels:
        sizes[t] = sizes.get(t, 0) + 1
    keep = [i for i, t in enumerate(data.labels) if sizes[t] > 1]
    return round(bcubed([data.labels[i] for i in keep], [found[i] for i in keep])[2], 4)


def row(method: str, data: Dataset, rate: float, found: list[str], param: Any) -> dict[str, Any]:
    s = score(data.labels, found)
    return {"method": method, "set": data.name, "param": param, **s.as_dict(),
            "recurring_f1": recurring(data, found), "reports_per_s": rate}  # fmt: skip


def tune(peer: str, tuning: Dataset) -> float:
    """The peer's parameter with the best B-cubed F1 on ``tuning``."""
    fn, grid = PEERS[peer]
    best = max(grid, key=lambda g: (score(tuning.labels, fn(tuning, g)).f1, -g))
    log.info("%s on %s: parameter %s", peer, tuning.name, best)
    return best


def datasets() -> tuple[list[tuple[Dataset, Dataset]], list[str]]:
    """(test set, tuning set) pairs, and notes on what was skipped."""
    where, notes = regions(), []
    tuning = synthetic(FIT_SEEDS[0], where)
    pairs = [(synthetic(seed, where), tuning) for seed in TEST_SEEDS]
    path = devset.build(DATA / "teddy_dev.jsonl")
    if path is None:
        notes.append("real development set skipped: ../shared/data/teddy2020c is absent")
    else:
        real = from_rows("teddy (real)", read_jsonl(path), where)
        quarter = len(real.items) // 4
        pairs.insert(0, (real, Dataset("teddy-q1", real.items[:quarter], real.labels[:quarter])))
    return pairs, notes


def main(quick: bool = False) -> dict[str, Any]:
    cfg = config()
    clusterer = Clusterer.from_config(cfg, regions(cfg))
    pairs, notes = datasets()
    rows: list[dict[str, Any]] = []
    tuned: dict[tuple[str, str], float] = {}
    for test, tuning in pairs:
        rate, found = cpu_rate(len(test.items), partial(ours, test, clusterer))
        rows.append(row(OURS, test, rate, found, "config"))
        for peer, (fn, _) in PEERS.items():
            key = (peer, tuning.name)
            if key not in tuned:
                tuned[key] = tune(peer, tuning)
            rate, found = cpu_rate(len(test.items), partial(fn, test, tuned[key]))
            rows.append(row(peer, test, rate, found, tuned[key]))
    result = {"rows": rows, "notes": notes, "machine": machine()}
    write_result("clustering", result)
    return result


def markdown(result: dict[str, Any]) -> str:
    """The results table for SUMMARY.md."""
    head = "| set | method | param | B3 P | B3 R | B3 F1 | F1 recurring | ARI | AMI | reports/s |"
    lines = ["## Clustering quality (B-cubed, ARI, AMI) and speed", "", head,
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in result["rows"]:
        lines.append(f"| {r['set']} | {r['method']} | {r['param']} | {r['precision']:.4f} | "
                     f"{r['recall']:.4f} | {r['f1']:.4f} | {r['recurring_f1']:.4f} | "
                     f"{r['ari']:.4f} | {r['ami']:.4f} | {r['reports_per_s']:.0f} |")  # fmt: skip
    lines += [""] + [f"Note: {n}" for n in result.get("notes", [])]
    return "\n".join(lines) + "\n"
