"""The broker killed and started again empty on the same port, while the intake takes reports.

tansu keeps its topics in memory, so the restarted broker has no topics, no
messages and no committed offsets: every report that was in Kafka and not yet
in the warehouse is gone from Kafka. The intake's outbox holds each accepted
report until the warehouse has it processed and sends it again, so nothing
accepted may be lost; the warehouse's idempotent writes keep it to one copy.

The Faust worker is not restarted: once the intake's relay has created the
topics again (with their configured partitions, before its first send to the
new broker) it carries on by itself. A worker started *later* against that
broker does not (a tansu bug, see the xfail test below).
"""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import MakeRig
from tests.chaos.counts import processed
from tests.chaos.feed import Poster, bodies
from tests.chaos.flows import assert_exactly_once, drained, joined_worker, settled, tally
from tests.chaos.procs import Proc, wait_for
from tests.chaos.rig import Rig
from warehouse.backend import Backend

pytestmark = [pytest.mark.clickhouse, pytest.mark.broker]

N = 300
DOWN = 5.0  # seconds without a broker


@pytest.mark.parametrize(
    "quick",
    [
        pytest.param(True, id="quick", marks=pytest.mark.timeout(300)),
        pytest.param(False, id="default-session", marks=[pytest.mark.chaos,
                                                         pytest.mark.timeout(600)]),
    ],
)  # fmt: skip
def test_broker_restarted_empty(make_rig: MakeRig, quick: bool) -> None:
    rig, backend, intake, worker, poster = restart_under_load(make_rig, quick)
    t0 = time.monotonic()
    poster.join()
    catch_up = drained(rig, backend, poster, [intake, worker], timeout=300)
    settled(rig, [intake, worker])
    c = tally(rig, backend, poster, f"broker_restart_empty[{'quick' if quick else 'chaos'}]",
              broker_down_s=DOWN, worker_restarted=False,
              recovered_s=round(time.monotonic() - t0, 1),
              catch_up_s=round(catch_up, 1))  # fmt: skip
    backend.close()
    assert_exactly_once(c)


def restart_under_load(make_rig: MakeRig, quick: bool) -> tuple[Rig, Backend, Proc, Proc, Poster]:
    """Kill the broker a third of the way through the reports; start it again, empty."""
    rig = make_rig(quick=quick)
    # The outbox re-sends what the warehouse does not hold after this long (default 60 s).
    intake = rig.intake(**({"MINQING_OUTBOX_RESEND_SECONDS": "10"} if quick else {}))
    worker = joined_worker(rig, "worker")
    backend = rig.backend()
    poster = Poster(rig.base, bodies(N), rate=20).start()
    wait_for("a third processed", lambda: processed(backend) >= N // 3, 120,
             [intake, worker], every=0.2)  # fmt: skip
    assert rig.broker.proc is not None
    rig.broker.proc.kill()
    rig.broker.proc.wait(5)
    time.sleep(DOWN)
    rig.broker.start()
    return rig, backend, intake, worker, poster


@pytest.mark.chaos
@pytest.mark.timeout(400)
@pytest.mark.xfail(strict=True, reason=(
    "tansu 0.6.0 (memory storage) acknowledges produce requests for a topic it no longer "
    "has, without creating it; once the topic is created again its high watermark counts "
    "those records but a fetch returns none. The surviving worker writes its table "
    "changelogs that way, so a worker started later waits forever in table recovery."))  # fmt: skip
def test_worker_restarted_after_the_broker_restart(make_rig: MakeRig) -> None:
    rig, backend, intake, worker, poster = restart_under_load(make_rig, quick=True)
    poster.join()
    drained(rig, backend, poster, [intake, worker], timeout=300)
    worker.kill9()
    worker = joined_worker(rig, "worker")
    more = Poster(rig.base, bodies(N + 20)[N:], rate=20).start().join()
    goal = N + len(more.accepted)
    wait_for("reports after the worker restart processed", lambda: processed(backend) >= goal,
             90, [intake, worker])  # fmt: skip
