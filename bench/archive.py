"""Closed-matter look-ups in steady state: the warehouse query against the worker's index.

A report that opens a new matter looks up the archived matters it may be about
(``Pipeline.revive``). The pipeline benchmark's stream fits in the matter window, so
its archive stays empty; here the scaling stream (bench/scaling.py) runs through the
clusterer for HISTORY reports first, archiving every evicted matter in the warehouse,
then the next WINDOW reports are clustered as the worker does, and every look-up is
timed twice on the same archive: ``matter_archive.lookup`` (two warehouse queries)
and ``ArchiveStore.lookup`` (ranked in memory, states read when not held), once as a
worker just started (cold: no state held) and once as one that archived the history
itself (warm). Both ways must find the same matters. On chdb and on clickhouse-server
18.16.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from itertools import islice
from typing import Any

from bench import services
from bench.common import config, regions
from bench.scaling import stream
from minqing.settings import Settings
from models.cluster_state import ClusterState, Evicted
from models.clustering import Clusterer
from warehouse import matter_archive
from warehouse.backend import Backend, connect, ensure_database
from warehouse.migrations import migrate

log = logging.getLogger(__name__)
HISTORY, QUICK_HISTORY, WINDOW = 100_000, 70_000, 5_000  # the window (60 days) fills at 60k


def history(clusterer: Clusterer, n: int) -> tuple[str, list[Evicted], list[Any]]:
    """The state after ``n`` reports (as JSON), what it evicted, and the next WINDOW reports."""
    items = stream(regions())
    state, evicted = clusterer.init(), []
    for item in islice(items, n):
        state, _ = clusterer.update(state, item)
        evicted += clusterer.take_evicted(state)
    return state.to_json(), evicted, list(islice(items, WINDOW))


def percentiles(ms: list[float]) -> dict[str, float]:
    s = sorted(ms) or [0.0]
    return {"p50_ms": round(s[len(s) // 2], 2), "p90_ms": round(s[int(len(s) * 0.9)], 2),
            "p99_ms": round(s[int(len(s) * 0.99)], 2),
            "per_report_ms": round(sum(ms) / WINDOW, 3)}  # fmt: skip


def timed(f: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = f(*args)
    return out, (time.perf_counter() - t0) * 1000


def measure(backend: Backend, clusterer: Clusterer, saved: str, evicted: list[Evicted],
            window: list[Any]) -> dict[str, Any]:  # fmt: skip
    """Cold: a worker just started (nothing held); warm: one that archived the history
    itself (it holds the states it evicted last)."""
    migrate(backend)
    for i in range(0, len(evicted), 1000):
        matter_archive.store(backend, evicted[i : i + 1000])
    return {how: one_pass(backend, clusterer, saved, evicted if how == "warm" else [], window)
            for how in ("cold", "warm")}  # fmt: skip


def one_pass(backend: Backend, clusterer: Clusterer, saved: str, held: list[Evicted],
             window: list[Any]) -> dict[str, Any]:  # fmt: skip
    store, state = matter_archive.ArchiveStore(backend), ClusterState.from_json(saved)
    store.index.add(held)
    plain: list[float] = []
    memory: list[float] = []
    for item in window:
        state, update = clusterer.update(state, item)
        store.store(clusterer.take_evicted(state))
        q = clusterer.archive_query(state, update)
        if q is None:
            continue
        found, t_plain = timed(matter_archive.lookup, backend, *q)
        again, t_memory = timed(store.lookup, *q)
        if again != found:
            raise AssertionError(f"index and warehouse differ for {q}")
        plain.append(t_plain)
        memory.append(t_memory)
        state, update = clusterer.revive(state, update, found)
    return {"lookups": len(plain), "warehouse": percentiles(plain),
            "index": percentiles(memory), "states_held": len(store.index.states)}  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    clusterer = Clusterer.from_config(config(), regions())
    clusterer.archive = True
    n = QUICK_HISTORY if quick else HISTORY
    saved, evicted, window = history(clusterer, n)
    out: dict[str, Any] = {"history": n, "window": WINDOW, "archived": len(evicted),
                           "load_average_before": services.load_average()}  # fmt: skip
    db = f"arch_{uuid.uuid4().hex[:8]}"
    chdb = connect(Settings(warehouse_url=f"chdb://{services.WORK / 'chdb'}?database={db}"))
    try:
        ensure_database(chdb)
        out["chdb"] = measure(chdb, clusterer, saved, evicted, window)
    finally:
        services.drop_database(chdb)
        chdb.close()
    with services.clickhouse_server(services.workdir("archive") / "ch") as ch:
        server = connect(Settings(warehouse_url=ch.url(db)))
        ensure_database(server)
        out["clickhouse_18_16"] = measure(server, clusterer, saved, evicted, window)
    return out


def markdown(r: dict[str, Any]) -> str:
    head = (
        f"## Closed-matter look-ups\n\nAfter {r['history']:,} reports ({r['archived']:,} "
        f"matters archived), the next {r['window']:,}: every look-up timed both ways.\n\n"
    )
    rows = ["| engine | look-up | look-ups | p50 ms | p90 ms | p99 ms | ms per report |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for engine in ("chdb", "clickhouse_18_16"):
        for start in ("cold", "warm"):
            run = r[engine][start]
            for how in ("warehouse", "index"):
                x = run[how]
                rows.append(f"| {engine} | {how} ({start}) | {run['lookups']} | {x['p50_ms']} | "
                            f"{x['p90_ms']} | {x['p99_ms']} | {x['per_report_ms']} |")  # fmt: skip
    return head + "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run("--quick" in sys.argv), indent=1) + "\n")
