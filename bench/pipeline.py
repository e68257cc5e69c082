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

import argparse
import json
import os
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
# (seconds since start, reports processed, risk scores, worker CPU seconds)
Sample = tuple[float, int, int, float]


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads: a cost per report that, unlike a
    rate, does not fall when other processes share the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch(backend: Backend, n: int, proc: services.Proc, timeout: float,
          profile: Path | None = None) -> list[Sample]:  # fmt: skip
    """A ``Sample`` every half second until done.

    Stops at ``timeout`` too: a slow worker is a result, not an error.
    ``profile``: py-spy the worker from its first processed report, not its start-up.
    """
    t0, samples, recording = time.perf_counter(), [], None
    while True:
        done, scored = _count(backend, PROCESSED), _count(backend, SCORED)
        samples.append((time.perf_counter() - t0, done, scored, cpu_seconds(proc.pid)))
        if profile is not None and recording is None and done > 0:
            recording = profiling.Recording(proc.pid, profile, PROFILE_SECONDS)
        if min(done, scored) >= n or samples[-1][0] > timeout:
            if recording is not None:
                recording.finish()
            return samples
        if proc.exited():
            raise RuntimeError(f"worker died at {done}/{n}:\n{proc.tail()}")
        time.sleep(0.5)


def _span(samples: list[Sample], lo: float, hi: float) -> tuple[Sample, Sample]:
    """The first sample with ``lo`` risk scores, and the first with ``hi``."""
    a = next((s for s in samples if s[2] >= lo), samples[-1])
    return a, next((s for s in samples if s[2] >= hi), samples[-1])


def _between(samples: list[Sample], lo: float, hi: float) -> float:
    """Risk scores per second from the first sample past ``lo`` to the first past ``hi``."""
    a, b = _span(samples, lo, hi)
    return (b[2] - a[2]) / (b[0] - a[0]) if b[0] > a[0] else 0.0


def _cpu_ms(samples: list[Sample], lo: float, hi: float) -> float:
    """Worker CPU milliseconds per report over the same span."""
    a, b = _span(samples, lo, hi)
    return round(1e3 * (b[3] - a[3]) / (b[2] - a[2]), 2) if b[2] > a[2] else 0.0


def rate(samples: list[Sample], n: int) -> dict[str, Any]:
    """Reports/s from 5% of N to the end, and per half (a rate that falls shows state growing)."""
    first = next((s for s in samples if s[1] > 0), samples[-1])
    end = samples[-1]
    return {
        "reports_per_s": round(_between(samples, 0.05 * n, n)),
        "first_half_per_s": round(_between(samples, 0.05 * n, n / 2)),
        "second_half_per_s": round(_between(samples, n / 2, n)),
        "cpu_ms_per_report": _cpu_ms(samples, 0.05 * n, n),
        "first_half_cpu_ms": _cpu_ms(samples, 0.05 * n, n / 2),
        "second_half_cpu_ms": _cpu_ms(samples, n / 2, n),
        "first_processed_after_s": round(first[0], 1), "done": end[2],
        "all_done_after_s": round(end[0], 1) if end[2] >= n else None,
    }  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident memory of a process (the worker: its clustering window and state)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def throughput(n: int, quick: bool, profile: Path | None = None, timeout: float | None = None,
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
            samples = watch(backend, n, proc, timeout or TIMEOUT[quick], profile)
            rss = rss_mb(proc.pid)
        alerts = _count(backend, "SELECT count() AS n FROM {db}.alerts FINAL")
        backend.close()
    e2e = rate(samples, n)
    thinned = samples[:: max(1, len(samples) // 60)]
    return {
        "reports": n, "report_bytes": mean_size(items), "preload_s": round(loaded, 1),
        "alerts_raised": alerts, **e2e, "worker_rss_mb": rss, "ceiling": ceiling,
        "ratio_to_ceiling": round(e2e["reports_per_s"] / ceiling["produce_consume_msgs_per_s"], 4),
        "samples": [[round(t, 1), a, b, round(c, 1)] for t, a, b, c in thinned],
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help=f"{QUICK_N:,} reports, short latency phases"
    )
    p.add_argument("--profile", action="store_true", help="py-spy the worker (bench/results/)")
    p.add_argument("-n", "--reports", type=int, help="reports to pre-load (throughput only)")
    p.add_argument("--latency", action="store_true", help="only the latency phases (with --quick)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds, with -n (default 600)")
    p.add_argument("--set", action="append", default=[], metavar="MINQING_X=VALUE",
                   help="a worker setting, e.g. MINQING_FETCH_MAX_WAIT_MS=1500")  # fmt: skip
    return p


def cli(argv: list[str]) -> dict[str, Any]:
    """`python -m bench.pipeline ...` (bench.run calls `run`, which has no main)."""
    args = _parser().parse_args(argv)
    extra = dict(kv.split("=", 1) for kv in args.set)
    if args.profile:
        out = REPO_ROOT / "bench" / "results" / "profile-worker.json"
        result = throughput(PROFILE_N, True, out, **extra)
        result.pop("samples")
        return result
    if args.reports:
        # One throughput run, no latency phases: for comparing a change like with like.
        load = services.load_average()
        result = throughput(args.reports, True, timeout=args.timeout, **extra)
        return {"load_average_before": load, "load_average_after": services.load_average(),
                "settings": extra, "throughput": result}  # fmt: skip
    if args.latency:
        load = services.load_average()
        result = latency.run(args.quick)
        return {"load_average_before": load, "load_average_after": services.load_average(),
                "latency": result}  # fmt: skip
    return run(args.quick)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(cli(sys.argv[1:]), indent=1) + "\n")
