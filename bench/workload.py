"""Report payloads for the load benchmarks: simulator reports with run-unique ids.

The simulator's matters grow, spread over villages and townships and state
intent, as real ones do, so clustering and scoring do their real work.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from itertools import cycle, islice

from bench.common import regions
from minqing.records import Report
from producers.simulator import SimConfig, simulate

# About 4 reports per simulated matter; a fortnight keeps the clusterer's window busy.
REPORTS_PER_MATTER = 4.3


def reports(n: int, seed: int = 11, days: float = 14.0) -> list[Report]:
    """``n`` simulator reports in event-time order, ids unique to this call."""
    tag = uuid.uuid4().hex[:6]
    sim = simulate(SimConfig(seed=seed, n_matters=max(1, int(n / REPORTS_PER_MATTER)),
                             days=days), regions())  # fmt: skip
    out = []
    for i, r in enumerate(islice(cycle(sim), n)):
        out.append(r.model_copy(update={"report_id": f"b{tag}-{i}"}))
    return out


def payloads(n: int, seed: int = 11) -> list[bytes]:
    """Report JSON as the intake sends it to reports.raw."""
    return [r.to_bytes() for r in reports(n, seed)]


def form_body(report: Report) -> bytes:
    """What an informant's form posts: no id and no time (the intake assigns both)."""
    body = json.loads(report.to_bytes())
    body.pop("report_id", None)
    body.pop("received_at", None)
    return json.dumps(body, ensure_ascii=False).encode()


def now_times(items: list[Report], start: datetime | None = None) -> list[Report]:
    """The same reports stamped in the present, a second apart, keeping their order."""
    t0 = start or datetime.now(UTC)
    return [r.model_copy(update={"received_at": t0 + timedelta(seconds=i)})
            for i, r in enumerate(items)]  # fmt: skip


def mean_size(items: list[bytes]) -> int:
    return round(sum(map(len, items)) / max(1, len(items)))
