"""``make bench`` (``python -m bench.run [NAME ...] [--quick]``): run benchmarks, write results.

A benchmark is a module bench/<module>.py registered in BENCHMARKS with either
``main(quick) -> dict`` (writes bench/results/<name>.json itself) or
``run(quick) -> dict`` (its result is written here); an optional
``markdown(result) -> str`` renders its SUMMARY.md section (otherwise the JSON
is shown). bench/results/SUMMARY.md is rebuilt from every result file present,
so running one benchmark keeps the others' last figures. DEFAULT is what
``make bench`` runs (it starts its own tansu and clickhouse-server processes);
``fit`` refits the matcher and is run on purpose only.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import sys
from typing import Any

from bench.common import RESULTS, write_result

log = logging.getLogger("bench")

# name -> module (bench/<module>.py).
BENCHMARKS = {
    "clustering": "bench.clustering",  # quality and speed vs peers (docs/CLUSTERING.md)
    "scaling": "bench.scaling",  # clusterer cost per report as history grows
    "fit": "bench.fit_matcher",  # refit the matcher, cross-validated
    "risk": "bench.risk",
    "broker_ceiling": "bench.broker_ceiling",  # raw produce+consume: the ceiling
    "intake": "bench.intake",
    "warehouse": "bench.warehouse",
    "archive": "bench.archive",  # closed-matter look-ups in steady state, warehouse vs index
    "pipeline": "bench.pipeline",  # end to end through one worker, and report-to-alert latency
    "dashboard": "bench.dashboard",  # dashboard queries over 10 M reports, chdb and 18.16
    "targets": "bench.targets",  # the targets against the results above (runs nothing)
}
# Speed and scale (the figures) after the clustering set; about 20 minutes in all.
DEFAULT = ("clustering", "scaling", "risk", "broker_ceiling", "intake", "warehouse", "archive",
           "pipeline", "dashboard", "targets")  # fmt: skip


def _module(name: str) -> Any:
    return importlib.import_module(BENCHMARKS[name])


def run_one(name: str, quick: bool) -> None:
    module = _module(name)
    if hasattr(module, "main"):
        module.main(quick=quick)
        return
    params = inspect.signature(module.run).parameters
    result = module.run(quick) if params else module.run()
    write_result(name, result)


def _section(name: str, result: dict[str, Any]) -> str:
    module = _module(name)
    if hasattr(module, "markdown"):
        return str(module.markdown(result))
    text = json.dumps(result, ensure_ascii=False, indent=1)
    return f"## {name}\n\n```json\n{text[:4000]}\n```\n"


def summary() -> str:
    note = "Written by `make bench` (`python -m bench.run`); see docs/CLUSTERING.md."
    parts = ["# Benchmark results", "", note, ""]
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if path.is_file():
            parts.append(_section(name, json.loads(path.read_text(encoding="utf-8"))))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.run", description=__doc__)
    p.add_argument("names", nargs="*", help=f"of {', '.join(BENCHMARKS)}; default: {DEFAULT}")
    p.add_argument("--quick", action="store_true", help="smaller runs (no 1M history)")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark {', '.join(unknown)}")
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt)
    for name in args.names or DEFAULT:
        log.info("benchmark %s ...", name)
        run_one(name, args.quick)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "SUMMARY.md").write_text(summary(), encoding="utf-8")
    log.info("wrote %s", RESULTS / "SUMMARY.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
