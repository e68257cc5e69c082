"""kill -9 of the worker mid-stream, and a restart: no report lost, nothing alerted or sent twice.

Reports over ten matters are posted to a real `minqing intake` while a real
`minqing worker` processes them; when about half are in the warehouse the
worker is killed with SIGKILL (no flush, no offset commit, deliveries cut
short) and started again on the same consumer group and data dir.
"""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import MakeRig
from tests.chaos.counts import processed
from tests.chaos.feed import Poster, bodies
from tests.chaos.flows import assert_exactly_once, drained, joined_worker, settled, tally
from tests.chaos.procs import wait_for

pytestmark = [pytest.mark.clickhouse, pytest.mark.broker]

N = 300


@pytest.mark.parametrize(
    "quick",
    [
        pytest.param(True, id="quick", marks=pytest.mark.timeout(300)),
        pytest.param(False, id="default-session", marks=[pytest.mark.chaos,
                                                         pytest.mark.timeout(600)]),
    ],
)  # fmt: skip
def test_worker_killed_mid_stream_then_restarted(make_rig: MakeRig, quick: bool) -> None:
    rig = make_rig(quick=quick)
    intake = rig.intake()
    first = joined_worker(rig, "worker")
    backend = rig.backend()
    poster = Poster(rig.base, bodies(N), rate=25).start()
    wait_for("half the reports processed", lambda: processed(backend) >= N // 2, 120,
             [intake, first], every=0.2)  # fmt: skip
    first.kill9()
    at_kill, t_kill = processed(backend), time.monotonic()
    second = joined_worker(rig, "worker")
    rejoin = time.monotonic() - t_kill
    poster.join()
    catch_up = drained(rig, backend, poster, [intake, second])
    deliveries = settled(rig, [intake, second])
    c = tally(rig, backend, poster, f"worker_kill9_restart[{'quick' if quick else 'chaos'}]",
              processed_at_kill=at_kill, rejoin_s=round(rejoin, 1),
              catch_up_s=round(catch_up, 1), deliveries_seen=deliveries)  # fmt: skip
    backend.close()
    assert 0 < at_kill < N, c
    assert c.alerts > 0 and c.deliveries > 0, c  # otherwise "nothing sent twice" is empty
    assert_exactly_once(c)
