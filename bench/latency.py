"""Latency from an informant's HTTP 201 to the alert in GET /api/v1/alerts, under load.

The production shape on one machine: tansu, clickhouse-server 18.16, one
`minqing intake` and one `minqing worker` process. Simulator reports are posted
at a fixed offered rate (open loop, so a slow server cannot slow the clock);
meanwhile the alerts API is polled every POLL seconds and the first time each
alert appears is kept. Every alert raised in the run is a sample: the report
that raised it is the first report of its matter scored at or above the alert
level (risk_scores in the warehouse), and its 201 time is known. So nothing is
staged: the matters that cross the alert level are the simulator's growing ones.
A phase ends once the worker has processed every report posted in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import loadgen, services
from bench.report import table
from bench.workload import form_body, reports
from minqing.settings import Settings
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate

POLL = 0.1
DRAIN_TIMEOUT = 90.0  # past this, alerts not yet in the API count as unseen
# (offered reports/s, seconds) for the full run and --quick.
PHASES = {False: ((50, 40.0), (500, 10.0)), True: ((50, 15.0), (500, 6.0))}
# Latency-tuned: the outbox relay polls every 50 ms instead of 1 s and the sinks flush
# every 100 ms instead of 1 s (plain MINQING_* settings); plus, until streams/ has them,
# the proposed consumer fetch wait and producer linger (bench/patched_worker.py).
TUNED = {"MINQING_OUTBOX_POLL_SECONDS": "0.05", "MINQING_WRITER_FLUSH_SECONDS": "0.1",
         "BENCH_FETCH_MAX_WAIT_MS": "50", "PRODUCER_LINGER": "0.005"}  # fmt: skip
CROSSING = """
SELECT matter_id, argMin(report_id, version) AS report_id FROM {db}.risk_scores FINAL
WHERE level IN ('yellow', 'orange', 'red') GROUP BY matter_id
"""


@dataclass
class Stack:
    base: str
    token: str | None
    backend: Backend
    worker: services.Proc
    accepted: int = 0
    first_seen: dict[str, float] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}


def _token(data_dir: Path) -> str | None:
    """The development admin token the intake writes on its first start, if any."""
    path = data_dir / "credentials.json"
    with contextlib.suppress(OSError, ValueError):
        for account in json.loads(path.read_text()).get("accounts", []):
            if account.get("role") == "admin":
                return str(account["token"])
    return None


@contextlib.contextmanager
def stack(root: Path, extra: dict[str, str]) -> Iterator[Stack]:
    with services.tansu(root) as broker, services.clickhouse_server(root / "ch") as ch:
        url = ch.url(f"lat_{uuid.uuid4().hex[:8]}")
        backend = connect(Settings(warehouse_url=url))
        migrate(backend)
        port = services.free_port()
        common = {"MINQING_KAFKA_BOOTSTRAP": broker.bootstrap, "MINQING_WAREHOUSE_URL": url,
                  "MINQING_LOG_LEVEL": "WARNING", **extra}  # fmt: skip
        intake_env = services.minqing_env(**common, MINQING_HTTP_PORT=str(port),
                                          MINQING_DATA_DIR=str(root / "intake"))  # fmt: skip
        worker_env = services.minqing_env(**common, MINQING_DATA_DIR=str(root / "worker"),
                                          MINQING_APP_ID=f"lat-{uuid.uuid4().hex[:8]}")  # fmt: skip
        with (services.minqing(["intake"], root / "intake.log", intake_env) as intake,
              services.Proc([sys.executable, "-m", "bench.patched_worker", "worker"],
                            root / "worker.log", worker_env) as worker):  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            services.wait_http(f"{base}/healthz", intake)
            yield Stack(base, _token(root / "intake"), backend, worker)
        backend.close()


def processed(backend: Backend) -> int:
    sql = f"SELECT uniqExact(report_id) AS n FROM {backend.database}.reports WHERE matter_id != ''"
    return int(backend.query(sql)[0]["n"])


async def poll_alerts(s: Stack, stop: asyncio.Event) -> None:
    """Note when each alert first shows in the API, until ``stop`` is set."""
    url = f"{s.base}/api/v1/alerts?limit=1000"
    async with aiohttp.ClientSession(headers=s.headers) as session:
        while not stop.is_set():
            async with session.get(url) as resp:
                resp.raise_for_status()
                items = (await resp.json())["items"]
            now = time.time()
            for item in items:
                s.first_seen.setdefault(item["alert_id"], now)
            await asyncio.sleep(POLL)


async def phase_async(s: Stack, rate: float, seconds: float, seed: int) -> loadgen.Tally:
    bodies = [form_body(r) for r in reports(int(rate * seconds), seed=seed)]
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_alerts(s, stop))
    tally = await loadgen.open_loop(f"{s.base}/api/v1/reports", bodies, rate, seconds)
    s.accepted += tally.statuses.get(201, 0)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while processed(s.backend) < s.accepted and time.monotonic() < deadline:
        if s.worker.exited():
            raise RuntimeError(f"worker died:\n{s.worker.tail()}")
        await asyncio.sleep(0.5)
    await asyncio.sleep(3.0)  # the last alerts' sink flush and one more poll
    stop.set()
    await poller
    return tally


def phase(s: Stack, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    t0 = time.monotonic()
    tally = asyncio.run(phase_async(s, rate, seconds, seed))
    waits = alert_waits(s, tally)
    return {
        "offered_per_s": rate, "seconds": seconds, "accepted": tally.statuses.get(201, 0),
        "refused": sum(v for k, v in tally.statuses.items() if k != 201),
        "late_sends": tally.late, "post": loadgen.quantiles_ms(tally.latencies),
        "drained_after_s": round(time.monotonic() - t0 - seconds - 3.0, 1),
        "drained": processed(s.backend) >= s.accepted,
        "alerts": len(waits["seconds"]), "alerts_not_seen_in_api": waits["unseen"],
        "report_to_alert": loadgen.quantiles_ms(waits["seconds"]),
        "max_ms": round(max(waits["seconds"], default=0.0) * 1e3, 1),
    }  # fmt: skip


def alert_waits(s: Stack, tally: loadgen.Tally) -> dict[str, Any]:
    """Seconds from each crossing report's 201 to its alert's first appearance in the API."""
    rows = s.backend.query(CROSSING.format(db=s.backend.database))
    alerts = s.backend.query(f"SELECT alert_id, matter_id FROM {s.backend.database}.alerts FINAL")
    crossing = {r["matter_id"]: r["report_id"] for r in rows}
    waits, unseen = [], 0
    for a in alerts:
        at = tally.accepted_at.get(crossing.get(a["matter_id"], ""))
        if at is None:
            continue  # raised by a report of another phase
        if a["alert_id"] in s.first_seen:
            waits.append(s.first_seen[a["alert_id"]] - at)
        else:
            unseen += 1
    return {"seconds": waits, "unseen": unseen}


def warm_up(s: Stack) -> None:
    """The first consumer-group join and the first of everything, before any clock runs."""
    bodies = [form_body(r) for r in reports(20, seed=3)]
    asyncio.run(loadgen.open_loop(f"{s.base}/api/v1/reports", bodies, 10, 2.0))
    s.accepted += 20
    deadline = time.monotonic() + 180
    while processed(s.backend) < s.accepted:
        if time.monotonic() > deadline or s.worker.exited():
            raise RuntimeError(f"worker not processing:\n{s.worker.tail()}")
        time.sleep(0.5)


def run(quick: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"poll_ms": POLL * 1e3, "tuned_settings": TUNED}
    for name, extra in (("default", {}), ("tuned", TUNED)):
        with stack(services.workdir(f"latency-{name}"), extra) as s:
            warm_up(s)
            out[name] = {f"at_{rate}_per_s": phase(s, rate, secs, seed=100 + i)
                         for i, (rate, secs) in enumerate(PHASES[quick])}  # fmt: skip
    return out


def markdown(r: dict[str, Any]) -> str:
    rows = []
    for config in ("default", "tuned"):
        for p in r[config].values():
            lat = p["report_to_alert"]
            rows.append((config, p["offered_per_s"], p["accepted"], p["alerts"],
                         lat["p50_ms"], lat["p99_ms"], p["max_ms"], p["post"]["p99_ms"],
                         p["drained_after_s"]))  # fmt: skip
    head = (
        "### Latency: HTTP 201 to the alert in GET /api/v1/alerts\n\n"
        f"Every alert raised is a sample; the API is polled every {r['poll_ms']:.0f} ms. "
        f"tuned = {', '.join(f'{k}={v}' for k, v in r['tuned_settings'].items())}.\n\n"
    )
    cols = ("config", "offered/s", "accepted", "alerts", "p50 ms", "p99 ms", "max ms",
            "POST p99 ms", "drained after s")  # fmt: skip
    return head + table(cols, rows)
