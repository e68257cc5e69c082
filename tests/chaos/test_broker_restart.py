"""The broker killed and started again empty on the same port, while the intake takes reports.

tansu keeps its topics in memory, so the restarted broker has no topics, no
messages and no committed offsets: every report that was in Kafka and not yet
in the warehouse is gone from Kafka. The intake's outbox holds each accepted
report until the warehouse has it processed and sends it again, so nothing
accepted may be lost; the warehouse's idempotent writes keep it to one copy.
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
DOWN = 5.0  # seconds without a broker


@pytest.mark.parametrize(
    "quick",
    [
        pytest.param(True, id="quick", marks=pytest.mark.timeout(600)),
        pytest.param(False, id="default-session", marks=[pytest.mark.chaos,
                                                         pytest.mark.timeout(600)]),
    ],
)  # fmt: skip
def test_broker_restarted_empty(make_rig: MakeRig, quick: bool) -> None:
    rig = make_rig(quick=quick)
    resend = {"MINQING_OUTBOX_RESEND_SECONDS": "15"} if quick else {}
    intake = rig.intake(**resend)
    worker = joined_worker(rig, "worker")
    backend = rig.backend()
    poster = Poster(rig.base, bodies(N), rate=15).start()
    wait_for("a third processed", lambda: processed(backend) >= N // 3, 120,
             [intake, worker], every=0.2)  # fmt: skip
    assert rig.broker.proc is not None
    rig.broker.proc.kill()
    rig.broker.proc.wait(5)
    t0, at_kill = time.monotonic(), processed(backend)
    time.sleep(DOWN)
    rig.broker.start()
    poster.join()
    catch_up = drained(rig, backend, poster, [intake, worker], timeout=300)
    settled(rig, [intake, worker])
    c = tally(rig, backend, poster, f"broker_restart_empty[{'quick' if quick else 'chaos'}]",
              processed_at_kill=at_kill, broker_down_s=DOWN,
              recovered_s=round(time.monotonic() - t0, 1), catch_up_s=round(catch_up, 1))  # fmt: skip
    backend.close()
    assert 0 < at_kill < N, c
    assert_exactly_once(c)
