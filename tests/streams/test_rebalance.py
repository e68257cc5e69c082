"""Two workers share the partitions; one is killed -9 mid-stream; nothing is lost or doubled.

Real components: a tansu broker of this test's own (the pipeline's topic names are
fixed, and reports left in the session broker's reports.raw would be read by the
other worker tests' consumer groups), clickhouse-server 18.16 (the session's, a
database of this test's own), and two `minqing worker` processes in one consumer
group over 4 partitions. Matters spread over several townships, so both workers
get some. While the second half of the reports is being produced, one worker is
killed with SIGKILL: its uncommitted messages are delivered again to the other,
which also takes over its partitions and their clustering window.

Afterwards every report is in the warehouse exactly once and in a matter, the
matters are those of one uninterrupted run over the same reports, and no matter
has two alerts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from minqing.config import Config
from minqing.records import Accepted, Report
from minqing.regions import Regions
from minqing.settings import REPO_ROOT, Settings
from producers.simulator import SimConfig, simulate
from streams.agents import place_key
from streams.broker import LocalBroker
from streams.pipeline import Pipeline
from streams.topics import RAW, create_topics
from tests.chaos.counts import Counts, count_alerts, count_reports, record
from tests.chaos.rig import QUICK_SESSION_TIMEOUT
from tests.conftest import free_port
from tests.conftest_clickhouse import ClickHouseServer
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate

pytestmark = [pytest.mark.slow, pytest.mark.broker, pytest.mark.clickhouse,
              pytest.mark.timeout(600)]  # fmt: skip

PARTITIONS = 4
# A dead member leaves the group only after its session times out (10 s here, Faust's
# default 60 s), then the group rebalances and the survivor recovers the changelog.
TAKEOVER_TIMEOUT = 300.0


class Workers:
    """`minqing worker` processes, each in its own process group, killed at the end."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        self.env, self.root, self.procs = env, root, list[subprocess.Popen[bytes]]()

    def start(self, n: int) -> None:
        for i in range(len(self.procs), len(self.procs) + n):
            env = {**self.env, "MINQING_DATA_DIR": str(self.root / f"worker-{i}")}
            with (self.root / f"worker-{i}.log").open("ab") as out:
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "minqing.cli", "worker"], cwd=REPO_ROOT, env=env,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                ))  # fmt: skip

    def kill(self, i: int) -> None:
        os.killpg(self.procs[i].pid, signal.SIGKILL)
        self.procs[i].wait(10)

    def alive(self) -> list[int]:
        return [i for i, p in enumerate(self.procs) if p.poll() is None]

    def stop_all(self) -> None:
        for i in self.alive():
            self.kill(i)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-1500:]
                         for p in sorted(self.root.glob("worker-*.log")))  # fmt: skip


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    broker = LocalBroker(free_port(), tmp_path / "tansu.log").start()
    yield broker
    broker.stop()


@pytest.fixture
def warehouse(clickhouse_server: ClickHouseServer) -> Iterator[tuple[str, Backend]]:
    url = clickhouse_server.url(f"rebalance_{uuid.uuid4().hex[:8]}")
    backend = connect(Settings(warehouse_url=url))
    migrate(backend)
    yield url, backend
    backend.close()


@pytest.fixture
def workers(own_broker: LocalBroker, warehouse: tuple[str, Backend],
            tmp_path: Path) -> Iterator[Workers]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(MINQING_KAFKA_BOOTSTRAP=own_broker.bootstrap, MINQING_WAREHOUSE_URL=warehouse[0],
               MINQING_TOPIC_PARTITIONS=str(PARTITIONS),
               MINQING_APP_ID=f"rebalance-{uuid.uuid4().hex[:8]}",
               # Faust reads this: a killed member leaves the group after 10 s, not 60 s.
               BROKER_SESSION_TIMEOUT=QUICK_SESSION_TIMEOUT)  # fmt: skip
    create_topics(own_broker.bootstrap, PARTITIONS, 1)
    group = Workers(env, tmp_path)
    yield group
    group.stop_all()


def the_reports(regions: Regions) -> list[Report]:
    scenario = simulate(SimConfig(seed=17, n_matters=30, days=5.0), regions)
    tag = uuid.uuid4().hex[:6]
    return [r.model_copy(update={"report_id": f"rb{tag}-{i}"}) for i, r in enumerate(scenario)]


def uninterrupted(reports: list[Report], config: Config,
                  regions: Regions) -> tuple[dict[str, str], list[bytes]]:  # fmt: skip
    """report id -> matter id from the worker's own pipeline run in one go; each one's place."""
    pipe = Pipeline(config, regions, Settings().receipt_secret.get_secret_value())
    out, places = {}, []
    for r in reports:
        item = pipe.validate(r.to_bytes(), RAW)
        assert isinstance(item, Accepted)
        out[r.report_id or ""] = pipe.cluster(item).matter.matter_id
        places.append(place_key(item))
    return out, places


def produce(bootstrap: str, reports: list[Report], keys: list[bytes],
            per_second: float | None = None) -> None:  # fmt: skip
    """Keyed by place, so one place's reports keep their order through every stage.

    (Keyed by report id, as the intake's relay sends them, reports of one place
    spread over the raw partitions and two workers' validate agents interleave them
    in reports.valid at random: matters then depend on timing, rebalance or not.)
    """
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for r, key in zip(reports, keys, strict=True):
        producer.send(RAW, key=key, value=r.to_bytes())
        if per_second:
            producer.flush(10)
            time.sleep(1 / per_second)
    producer.flush(30)
    producer.close()


def count(backend: Backend, sql: str) -> int:
    return int(backend.query(sql.format(db=backend.database))[0]["n"])


def wait_until(what: str, done: Workers, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert done.alive(), f"no worker left running:\n{done.logs()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{done.logs()}"
        time.sleep(1)


# make test runs the kill (the group rebalances twice: two join, one dies); make chaos both.
@pytest.mark.parametrize(
    "kill",
    [
        pytest.param(False, id="shared", marks=pytest.mark.chaos),
        pytest.param(True, id="one-killed"),
    ],
)
def test_two_workers_lose_and_double_nothing(
    kill: bool, workers: Workers, own_broker: LocalBroker, warehouse: tuple[str, Backend],
    config: Config, regions: Regions,
) -> None:  # fmt: skip
    backend = warehouse[1]
    reports = the_reports(regions)
    expected, places = uninterrupted(reports, config, regions)
    assert len({r.region_code[:9] for r in reports if r.region_code}) >= 4
    half, n = len(reports) // 2, len(reports)
    processed = "SELECT uniqExact(report_id) AS n FROM {db}.reports WHERE matter_id != ''"
    workers.start(2)
    produce(own_broker.bootstrap, reports[:half], places[:half])
    wait_until("the first half", workers, lambda: count(backend, processed) >= half, 240)
    feeder = threading.Thread(
        target=produce, args=(own_broker.bootstrap, reports[half:], places[half:], 40)
    )
    feeder.start()
    time.sleep(2.0)  # mid-stream: some of the second half read, not all committed
    if kill:
        workers.kill(0)
    feeder.join(120)
    scored = "SELECT uniqExact(report_id) AS n FROM {db}.risk_scores"
    wait_until("the takeover", workers, lambda: count(backend, scored) >= n, TAKEOVER_TIMEOUT)
    time.sleep(3.0)  # the alert sink's last flush
    record_counts(backend, expected, "one-killed" if kill else "shared")
    check_exactly_once(backend, expected)


def record_counts(backend: Backend, expected: dict[str, str], name: str) -> None:
    """Into bench/results/chaos.json beside the fault scenarios (no notification channels
    here: the worker kill scenario counts notifications)."""
    c = Counts(scenario=f"rebalance[{name}]", extra={"workers": 2, "partitions": PARTITIONS})
    count_reports(backend, list(expected), c)
    count_alerts(backend, c)
    record(c)


def groups(matter_of: dict[str, str]) -> set[frozenset[str]]:
    """The matters as sets of report ids, whatever their ids."""
    out: dict[str, set[str]] = {}
    for report_id, matter_id in matter_of.items():
        out.setdefault(matter_id, set()).add(report_id)
    return {frozenset(v) for v in out.values()}


def check_exactly_once(backend: Backend, expected: dict[str, str]) -> None:
    db = backend.database
    rows = backend.query(f"SELECT report_id, matter_id FROM {db}.reports FINAL")
    ids = [r["report_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(expected)
    got = {r["report_id"]: r["matter_id"] for r in rows}
    assert groups(got) == groups(expected), "reports grouped otherwise than in one run"
    assert got == expected, "same groups, other matter ids than in one run"
    alerts = backend.query(
        f"SELECT matter_id, count() AS n, uniqExact(alert_id) AS ids FROM {db}.alerts FINAL "
        "GROUP BY matter_id"
    )
    assert alerts, "no alert raised: the scenario should raise some"
    assert all(a["n"] == 1 and a["ids"] == 1 for a in alerts), alerts
    assert {a["matter_id"] for a in alerts} <= set(expected.values())
