"""Intake: POST /api/v1/reports per second against the real uvicorn app, chdb warehouse.

The server (bench/intake_server.py: tansu, relay, chdb, FastAPI under uvicorn,
as `minqing up` runs them, minus the worker) is its own process; the client is
this one. Each 201 means the report is in the SQLite outbox with synchronous=FULL,
so the figure includes an fsync per report: the durability promise, not a shortcut.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bench import loadgen, profiling, services
from bench.report import ceiling, share, table
from bench.workload import form_body, reports
from minqing.settings import REPO_ROOT

CONNECTIONS = (8, 32)
FULL_SECONDS, QUICK_SECONDS = 20.0, 6.0


def _start(root: Any) -> tuple[services.Proc, str]:
    port = services.free_port()
    env = services.minqing_env(
        MINQING_HTTP_PORT=str(port), MINQING_KAFKA_PORT=str(services.free_port()),
        MINQING_DATA_DIR=str(root / "data"), MINQING_WAREHOUSE_URL=f"chdb://{root}/warehouse",
        MINQING_LOG_LEVEL="WARNING",
    )  # fmt: skip
    proc = services.Proc([sys.executable, "-m", "bench.intake_server"], root / "intake.log", env)
    base = f"http://127.0.0.1:{port}"
    services.wait_http(f"{base}/healthz", proc)
    return proc, base


def _measure(base: str, bodies: list[bytes], seconds: float, connections: int) -> dict[str, Any]:
    url = f"{base}/api/v1/reports"
    tally, elapsed = asyncio.run(loadgen.closed_loop(url, bodies, seconds, connections))
    accepted = tally.statuses.get(201, 0)
    return {
        "connections": connections, "seconds": round(elapsed, 1), "accepted": accepted,
        "other_statuses": {str(k): v for k, v in tally.statuses.items() if k != 201},
        "requests_per_s": round(accepted / elapsed), **loadgen.quantiles_ms(tally.latencies),
    }  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    root = services.workdir("intake")
    bodies = [form_body(r) for r in reports(5000)]
    seconds = QUICK_SECONDS if quick else FULL_SECONDS
    proc, base = _start(root)
    with proc:
        _measure(base, bodies, 2.0, 8)  # warm-up: imports, first chdb inserts
        runs = [_measure(base, bodies, seconds, c) for c in CONNECTIONS]
    best = max(runs, key=lambda r: r["requests_per_s"])
    return {
        "server": "uvicorn (1 process) + SQLite outbox + relay + chdb", "client": "aiohttp",
        "requests_per_s": best["requests_per_s"], "runs": runs,
        "load_average_after": services.load_average(),
    }  # fmt: skip


def markdown(r: dict[str, Any]) -> str:
    top = ceiling()
    rows = [(x["connections"], x["requests_per_s"], share(x["requests_per_s"], top),
             x["p50_ms"], x["p99_ms"], x["other_statuses"] or "-") for x in r["runs"]]  # fmt: skip
    head = (f"## Intake\n\nPOST /api/v1/reports, closed loop, {r['server']}; client "
            f"{r['client']} on the same 2 cores.\n\n")  # fmt: skip
    cols = ("connections", "requests/s (201)", "of ceiling", "p50 ms", "p99 ms", "non-201")
    return head + table(cols, rows)


def profile(out: Path, seconds: float = 15.0) -> dict[str, Any]:
    """py-spy the intake server while 16 clients post (``python -m bench.intake --profile``)."""
    root = services.workdir("intake-profile")
    bodies = [form_body(r) for r in reports(3000)]
    proc, base = _start(root)
    with proc:
        _measure(base, bodies, 2.0, 8)
        with profiling.record(proc.pid, out, seconds):
            return _measure(base, bodies, seconds, 16)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        result = profile(REPO_ROOT / "bench" / "results" / "profile-intake.json")
    else:
        result = run("--quick" in sys.argv)
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
