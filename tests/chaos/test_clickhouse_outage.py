"""The ClickHouse server stopped under load, then started again on the same data dir.

While it is down the intake must keep answering 201 (the outbox and the
'received' recorder must not block the request path), the relay must keep
sending to Kafka, the worker's sinks must buffer and retry with bounded memory,
and afterwards every accepted report lands exactly once. The session's server
cannot be stopped, so this test runs its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.topics import RAW
from tests.chaos.conftest import MakeRig
from tests.chaos.feed import Poster, bodies
from tests.chaos.flows import (
    RssSampler,
    assert_exactly_once,
    drained,
    joined_worker,
    settled,
    tally,
    topic_size,
)
from tests.conftest_clickhouse import ServerProcess, unique_database

pytestmark = [pytest.mark.clickhouse, pytest.mark.broker]

RATE = 10.0  # reports per second, before, during and after the outage
RSS_BOUND_MB = 300.0  # growth of the worker's (and intake's) memory allowed over the outage


@pytest.fixture
def own_clickhouse(tmp_path: Path) -> Iterator[ServerProcess]:
    root = tmp_path / "clickhouse"
    root.mkdir()
    server = ServerProcess.create(root)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param(10.0, id="10s", marks=pytest.mark.timeout(300)),
        pytest.param(60.0, id="60s", marks=[pytest.mark.chaos, pytest.mark.timeout(600)]),
    ],
)  # fmt: skip
def test_clickhouse_down_under_load(
    make_rig: MakeRig, own_clickhouse: ServerProcess, outage: float
) -> None:
    url = own_clickhouse.server.url(unique_database("chaos"))
    rig = make_rig(warehouse_url=url, quick=outage < 60)
    intake, worker = rig.intake(), joined_worker(rig, "worker")
    backend = rig.backend()
    n = int(RATE * (outage + 20))  # 10 s of load before the outage and 10 s after
    poster = Poster(rig.base, bodies(n), rate=RATE).start()
    time.sleep(10)
    rss = {p.name: (p.rss_mb(), RssSampler(p).start()) for p in (intake, worker)}
    before = (time.monotonic(), topic_size(rig.broker.bootstrap, RAW), len(poster.accepted))
    own_clickhouse.stop()
    time.sleep(outage)
    raw_during = topic_size(rig.broker.bootstrap, RAW) - before[1]
    accepted_during = len(poster.accepted) - before[2]
    own_clickhouse.start()
    down = time.monotonic() - before[0]
    growth = {name: round(s.stop() - base) for name, (base, s) in rss.items()}
    poster.join()
    catch_up = drained(rig, backend, poster, [intake, worker])
    settled(rig, [intake, worker])
    c = tally(rig, backend, poster, f"clickhouse_outage[{outage:.0f}s]", down_s=round(down, 1),
              accepted_during_outage=accepted_during, sent_to_kafka_during_outage=raw_during,
              rss_growth_mb=growth, catch_up_s=round(catch_up, 1))  # fmt: skip
    backend.close()
    assert accepted_during > 0.8 * RATE * outage, c  # the intake kept answering 201
    assert raw_during >= accepted_during - 2 * RATE, c  # ... and the relay kept sending
    assert max(growth.values()) < RSS_BOUND_MB, c
    assert_exactly_once(c)
