"""Warehouse inserts: rows/s through WarehouseWriter, on chdb and on clickhouse-server 18.16.

The rows are ``reports`` rows (the widest table: title, content, place) made from
simulator reports by the same code the sinks use (records -> rows -> one insert
per table per flush). Batches of 1,000 rows are the writer's default
(MINQING_WRITER_BATCH_ROWS); 10,000 shows what larger batches buy.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench import services
from bench.common import regions
from bench.report import ceiling, share, table
from bench.workload import reports
from minqing.records import Accepted
from minqing.settings import Settings
from streams.validate import accept
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate
from warehouse.writer import WarehouseWriter

FULL_N, QUICK_N = 100_000, 20_000
BATCHES = (1_000, 10_000)
CHDB_PATH = services.WORK / "chdb"


def records(n: int) -> list[Accepted]:
    where, now = regions(), datetime.now(UTC)
    out = [accept(r.to_bytes(), "reports.raw", where, "bench", now) for r in reports(n)]
    return [a for a in out if isinstance(a, Accepted)]


def insert_rate(backend: Backend, items: list[Accepted], batch: int) -> dict[str, Any]:
    """Rows/s writing ``items`` in batches of ``batch`` rows, as a sink does."""
    writer = WarehouseWriter(backend, batch_rows=batch, max_rows=max(batch, 100_000))
    t0 = time.perf_counter()
    for start in range(0, len(items), batch):
        for item in items[start : start + batch]:
            writer.add_record(item)
        writer.flush()
    spent = time.perf_counter() - t0
    return {"batch_rows": batch, "rows": len(items), "rows_per_s": round(len(items) / spent)}


def engine(backend: Backend, items: list[Accepted]) -> list[dict[str, Any]]:
    migrate(backend)
    try:
        insert_rate(backend, items[:2000], 1000)  # warm-up: connection, first parts
        return [insert_rate(backend, items, b) for b in BATCHES]
    finally:
        services.drop_database(backend)
        backend.close()


def run(quick: bool = False) -> dict[str, Any]:
    items = records(QUICK_N if quick else FULL_N)
    db = f"wh_{uuid.uuid4().hex[:8]}"
    out: dict[str, Any] = {"table": "reports", "row_bytes_json": _row_bytes(items),
                           "load_average_before": services.load_average()}  # fmt: skip
    out["chdb"] = engine(connect(Settings(warehouse_url=f"chdb://{CHDB_PATH}?database={db}")),
                         items)  # fmt: skip
    with services.clickhouse_server(services.workdir("warehouse") / "ch") as ch:
        out["clickhouse_18_16"] = engine(connect(Settings(warehouse_url=ch.url(db))), items)
    return out


def _row_bytes(items: list[Accepted]) -> int:
    sample = items[:500]
    return round(sum(len(a.to_bytes()) for a in sample) / max(1, len(sample)))


def markdown(r: dict[str, Any]) -> str:
    top = ceiling()
    rows = [(engine, x["batch_rows"], x["rows_per_s"], share(x["rows_per_s"], top))
            for engine in ("chdb", "clickhouse_18_16") for x in r[engine]]  # fmt: skip
    head = (f"## Warehouse inserts\n\nWarehouseWriter, `{r['table']}` rows "
            f"({r['row_bytes_json']} bytes as JSON), records to rows to one insert per flush."
            "\n\n")  # fmt: skip
    return head + table(("engine", "batch rows", "rows/s", "of ceiling"), rows)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run("--quick" in sys.argv), indent=1) + "\n")
