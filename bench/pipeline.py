"""End to end through one worker: reports/s from reports.raw to the warehouse, and latency.

Throughput: a fresh tansu broker and clickhouse-server 18.16; the raw ceiling is
measured on that same broker first (bench/broker_ceiling.py). N simulator
reports are pre-loaded into reports.raw, then one `minqing worker` process
starts and the warehouse is polled until it holds all N reports in a matter and
all N risk scores (so validation, clustering, scoring, alerting and the sinks
all ran). The rate is taken between 5% and 100% of N, so the worker's start and
the first consumer-group join (about 30 s on tansu) are reported apart.
Latency (HTTP 201 -> alert in GET /api/v1/alerts) is in bench/latency.py.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from bench import broker_ceiling, latency, profiling, services
from bench.report import share, table
from bench.workload import mean_size, payloads
from minqing.settings import REPO_ROOT, Settings
from streams.topics import RAW, create_topics
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate

FULL_N, QUICK_N = 20_000, 4_000
CEILING_N = {True: 40_000, False: 100_000}
TIMEOUT = {False: 300.0, True: 150.0}  # past this, the rate is of what was done
PROFILE_SECONDS, PROFILE_N = 30, 8_000
PROCESSED = "SELECT uniqExact(report_id) AS n FROM {db}.reports WHERE matter_id != ''"
SCORED = "SELECT uniqExact(report_id) AS n FROM {db}.risk_scores"


def preload(bootstrap: str, items: list[bytes]) -> float:
    """Send the reports as the outbox relay does (kafka-python, acks=all); seconds taken."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                             batch_size=256 * 1024)  # fmt: skip
    t0 = time.perf_counter()
    for i, value in enumerate(items):
        producer.send(RAW, key=f"k{i}".encode(), value=value)
    producer.flush(120)
    producer.close(10)
    return time.perf_counter() - t0


def worker_env(bootstrap: str, warehouse_url: str, root: Path, **extra: str) -> dict[str, str]:
    return services.minqing_env(
        MINQING_KAFKA_BOOTSTRAP=bootstrap, MINQING_WAREHOUSE_URL=warehouse_url,
        MINQING_DATA_DIR=str(root / "worker"), MINQING_APP_ID=f"bench-{uuid.uuid4().hex[:8]}",
        MINQING_LOG_LEVEL="WARNING", **extra,
    )  # fmt: skip


def _count(backend: Backend, sql: str) -> int:
    return int(backend.query(sql.format(db=backend.database))[0]["n"])


def watch(backend: Backend, n: int, proc: services.Proc, timeout: float,
          profile: Path | None = None) -> list[tuple[float, int, int]]:  # fmt: skip
    """(seconds since start, reports processed, risk scores) every half second until done.

    Stops at ``timeout`` too: a slow worker is a result, not an error.
    ``profile``: py-spy the worker from its first processed report, not its start-up.
    """
    t0, samples, recording = time.perf_counter(), [], None
    while True:
        done, scored = _count(backend, PROCESSED), _count(backend, SCORED)
        samples.append((time.perf_counter() - t0, done, scored))
        if profile is not None and recording is None and done > 0:
            recording = profiling.Recording(proc.pid, profile, PROFILE_SECONDS)
        if min(done, scored) >= n or samples[-1][0] > timeout:
            if recording is not None:
                recording.finish()
            return samples
        if proc.exited():
            raise RuntimeError(f"worker died at {done}/{n}:\n{proc.tail()}")
        time.sleep(0.5)


def _between(samples: list[tuple[float, int, int]], lo: float, hi: float) -> float:
    """Risk scores per second from the first sample past ``lo`` to the first past ``hi``."""
    a = next((s for s in samples if s[2] >= lo), samples[-1])
    b = next((s for s in samples if s[2] >= hi), samples[-1])
    return (b[2] - a[2]) / (b[0] - a[0]) if b[0] > a[0] else 0.0


def rate(samples: list[tuple[float, int, int]], n: int) -> dict[str, Any]:
    """Reports/s from 5% of N to the end, and per half (a rate that falls shows state growing)."""
    first = next((s for s in samples if s[1] > 0), samples[-1])
    end = samples[-1]
    return {
        "reports_per_s": round(_between(samples, 0.05 * n, n)),
        "first_half_per_s": round(_between(samples, 0.05 * n, n / 2)),
        "second_half_per_s": round(_between(samples, n / 2, n)),
        "first_processed_after_s": round(first[0], 1), "done": end[2],
        "all_done_after_s": round(end[0], 1) if end[2] >= n else None,
    }  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident memory of a process (the worker: its clustering window and state)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def throughput(n: int, quick: bool, profile: Path | None = None,
               **worker_settings: str) -> dict[str, Any]:  # fmt: skip
    root = services.workdir("pipeline")
    items = payloads(n, seed=23)
    with services.tansu(root) as broker, services.clickhouse_server(root / "ch") as ch:
        ceiling = broker_ceiling.measure(broker.bootstrap, CEILING_N[quick])
        url = ch.url(f"bench_{uuid.uuid4().hex[:8]}")
        backend = connect(Settings(warehouse_url=url))
        migrate(backend)
        create_topics(broker.bootstrap, 1, 1)
        loaded = preload(broker.bootstrap, items)
        env = worker_env(broker.bootstrap, url, root, **worker_settings)
        with services.minqing(["worker"], root / "worker.log", env) as proc:
            samples = watch(backend, n, proc, TIMEOUT[quick], profile)
            rss = rss_mb(proc.pid)
        alerts = _count(backend, "SELECT count() AS n FROM {db}.alerts FINAL")
        backend.close()
    e2e = rate(samples, n)
    return {
        "reports": n, "report_bytes": mean_size(items), "preload_s": round(loaded, 1),
        "alerts_raised": alerts, **e2e, "worker_rss_mb": rss, "ceiling": ceiling,
        "ratio_to_ceiling": round(e2e["reports_per_s"] / ceiling["produce_consume_msgs_per_s"], 4),
        "samples": [[round(t, 1), a, b] for t, a, b in samples[:: max(1, len(samples) // 60)]],
    }  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    return {
        "load_average_before": services.load_average(),
        "worker": "one `minqing worker` process (Faust), tansu, clickhouse-server 18.16",
        "throughput": throughput(QUICK_N if quick else FULL_N, quick),
        "latency": latency.run(quick),
    }


def markdown(r: dict[str, Any]) -> str:
    t, c = r["throughput"], r["throughput"]["ceiling"]
    top = c["produce_consume_msgs_per_s"]
    rows = [("end to end, one worker", t["reports_per_s"], f"{100 * t['ratio_to_ceiling']:.2f}%"),
            ("  first half", t["first_half_per_s"], share(t["first_half_per_s"], top)),
            ("  second half", t["second_half_per_s"], share(t["second_half_per_s"], top)),
            ("raw produce+consume, same broker, same run", top, "100%")]  # fmt: skip
    done = ("all done" if t["all_done_after_s"] else
            f"**stopped after {TIMEOUT[False]:.0f} s with {t['done']:,} done**")  # fmt: skip
    head = (f"## Pipeline\n\n{r['worker']}. {t['reports']:,} reports pre-loaded into "
            f"reports.raw; rate from 5% done to the end ({done}; first report processed after "
            f"{t['first_processed_after_s']} s: start-up and group join). {t['alerts_raised']} "
            f"alerts raised; worker RSS at the end {t['worker_rss_mb']} MB.\n\n")  # fmt: skip
    body = table(("", "reports/s", "of ceiling"), rows)
    return head + body + "\n" + latency.markdown(r["latency"])


if __name__ == "__main__":
    if "--profile" in sys.argv:
        out = REPO_ROOT / "bench" / "results"
        result = throughput(PROFILE_N, True, out / "profile-worker.json")
        result.pop("samples")
    else:
        result = run("--quick" in sys.argv)
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
