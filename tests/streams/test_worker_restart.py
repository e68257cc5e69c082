"""A worker killed mid-stream and restarted ends with the same matters as an uninterrupted run.

Real tansu broker (the session's, which keeps the table's changelog while it
runs), real ClickHouse 18.16, `minqing worker` as a process killed with -9.
The uninterrupted run is the worker's pipeline run in one go over the same messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from minqing.config import Config
from minqing.records import Accepted, Report
from minqing.regions import Regions
from minqing.settings import Settings
from producers.simulator import SimConfig, simulate
from streams.broker import LocalBroker
from streams.pipeline import Pipeline
from streams.topics import RAW, create_topics
from tests.chaos.rig import QUICK_SESSION_TIMEOUT
from tests.conftest_clickhouse import ClickHouseServer
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate

pytestmark = [pytest.mark.slow, pytest.mark.broker, pytest.mark.clickhouse]


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    cmd = [sys.executable, "-m", "minqing.cli", "worker"]
    return subprocess.Popen(
        cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def processed(backend: Backend) -> dict[str, str]:
    rows = backend.query(
        f"SELECT report_id, matter_id FROM {backend.database}.reports FINAL WHERE matter_id != ''"
    )
    return {r["report_id"]: r["matter_id"] for r in rows}


def wait_processed(backend: Backend, n: int, timeout: float = 150) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = processed(backend)
        if len(got) >= n:
            return got
        time.sleep(1)
    raise AssertionError(f"only {len(processed(backend))} of {n} reports processed")


def produce(bootstrap: str, reports: list[Report]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for r in reports:
        producer.send(RAW, key=(r.report_id or "").encode(), value=r.to_bytes())
    producer.flush(30)
    producer.close()


def uninterrupted(reports: list[Report], config: Config, regions: Regions) -> dict[str, str]:
    """The worker's own pipeline, run in one go over the same messages."""
    pipe = Pipeline(config, regions, Settings().receipt_secret.get_secret_value())
    out = {}
    for r in reports:
        item = pipe.validate(r.to_bytes(), RAW)
        assert isinstance(item, Accepted)
        out[r.report_id or ""] = pipe.cluster(item).matter.matter_id
    return out


@pytest.fixture
def worker_env(broker: LocalBroker, clickhouse_server: ClickHouseServer,
               tmp_path: Path) -> Iterator[tuple[dict[str, str], Backend]]:  # fmt: skip
    db = f"restart_{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(MINQING_KAFKA_BOOTSTRAP=broker.bootstrap, MINQING_APP_ID=f"restart-{db}",
               MINQING_WAREHOUSE_URL=clickhouse_server.url(db),
               MINQING_DATA_DIR=str(tmp_path / "data"),
               # The killed member's partitions are only handed on once its session expires.
               BROKER_SESSION_TIMEOUT=QUICK_SESSION_TIMEOUT)  # fmt: skip
    backend = connect(Settings(warehouse_url=clickhouse_server.url(db)))
    migrate(backend)
    create_topics(broker.bootstrap, 1, 1)
    yield env, backend
    backend.close()


def test_killed_worker_resumes_with_the_same_matters(
    worker_env: tuple[dict[str, str], Backend], broker: LocalBroker, config: Config,
    regions: Regions, tmp_path: Path, unique: Callable[[str], str],
) -> None:  # fmt: skip
    env, backend = worker_env
    scenario = simulate(SimConfig(seed=3, n_matters=12), regions)
    reports = [r.model_copy(update={"report_id": f"{unique('w')}-{i}"})
               for i, r in enumerate(scenario)]  # fmt: skip
    expected = uninterrupted(reports, config, regions)
    half = len(reports) // 2
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        produce(broker.bootstrap, reports[:half])
        wait_processed(backend, half)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        produce(broker.bootstrap, reports[half:])
        worker = start_worker(env, tmp_path / "worker.log")
        got = wait_processed(backend, len(reports))
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert got == expected
    assert len(set(got.values())) < len(reports)  # matters really formed across the kill
