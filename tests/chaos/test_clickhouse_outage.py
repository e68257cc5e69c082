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
from dataclasses import dataclass, field
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
from tests.chaos.procs import Proc
from tests.chaos.rig import Rig
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
    if server.proc is not None:
        server.freeze(False)  # a stopped process would ignore the SIGTERM below
    server.stop()


@dataclass
class Outage:
    """What happened while the warehouse was away: measured around ``run``."""

    server: ServerProcess
    frozen: bool
    seconds: float
    down_s: float = 0.0
    accepted: int = 0  # reports the intake answered 201 meanwhile
    sent: int = 0  # messages the relay put on reports.raw meanwhile
    rss_growth_mb: dict[str, int] = field(default_factory=dict)

    def run(self, rig: Rig, poster: Poster, procs: list[Proc]) -> Outage:
        rss = {p.name: (p.rss_mb(), RssSampler(p).start()) for p in procs}
        t0, raw0, acc0 = time.monotonic(), topic_size(rig.broker.bootstrap, RAW), len(
            poster.accepted)  # fmt: skip
        self._away(True)
        time.sleep(self.seconds)
        self.sent = topic_size(rig.broker.bootstrap, RAW) - raw0
        self.accepted = len(poster.accepted) - acc0
        self._away(False)
        self.down_s = round(time.monotonic() - t0, 1)
        self.rss_growth_mb = {n: round(s.stop() - base) for n, (base, s) in rss.items()}
        return self

    def _away(self, away: bool) -> None:
        if self.frozen:
            self.server.freeze(away)
        elif away:
            self.server.stop()
        else:
            self.server.start()  # same ports, same data dir

    @property
    def name(self) -> str:
        return f"clickhouse_outage[{self.seconds:.0f}s-{'frozen' if self.frozen else 'stopped'}]"


@pytest.mark.parametrize(
    ("seconds", "frozen"),
    [
        pytest.param(10.0, False, id="10s-stopped", marks=pytest.mark.timeout(300)),
        pytest.param(60.0, False, id="60s-stopped", marks=[pytest.mark.chaos,
                                                           pytest.mark.timeout(600)]),
        # SIGSTOP: connections are accepted and never answered, so each call waits for the
        # client's timeout (60 s) instead of failing at once as a refused connection does.
        pytest.param(60.0, True, id="60s-frozen", marks=[pytest.mark.chaos,
                                                         pytest.mark.timeout(600)]),
    ],
)  # fmt: skip
def test_clickhouse_down_under_load(
    make_rig: MakeRig, own_clickhouse: ServerProcess, seconds: float, frozen: bool
) -> None:
    url = own_clickhouse.server.url(unique_database("chaos"))
    rig = make_rig(warehouse_url=url, quick=seconds < 60)
    intake, worker = rig.intake(), joined_worker(rig, "worker")
    backend = rig.backend()
    # Load from 10 s before the outage to about 10 s after it.
    poster = Poster(rig.base, bodies(int(RATE * (seconds + 20))), rate=RATE).start()
    time.sleep(10)
    out = Outage(own_clickhouse, frozen, seconds).run(rig, poster, [intake, worker])
    poster.join()
    catch_up = drained(rig, backend, poster, [intake, worker])
    settled(rig, [intake, worker])
    c = tally(rig, backend, poster, out.name, down_s=out.down_s, catch_up_s=round(catch_up, 1),
              accepted_during_outage=out.accepted, sent_to_kafka_during_outage=out.sent,
              rss_growth_mb=out.rss_growth_mb)  # fmt: skip
    backend.close()
    assert out.accepted > 0.8 * RATE * seconds, c  # the intake kept answering 201
    assert out.sent >= out.accepted - 2 * RATE, c  # ... and the relay kept sending
    assert max(out.rss_growth_mb.values()) < RSS_BOUND_MB, c
    assert_exactly_once(c)
