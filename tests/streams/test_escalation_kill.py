"""kill -9 of a real worker process and a restart: every escalation notified exactly once.

The worker runs in its own process against the ClickHouse 18.16 server. It is
killed while the leader's SMS is in flight (the gateway hangs): the escalation is
already in the warehouse but its delivery is not logged. The restarted worker
re-hydrates from the warehouse, finishes that delivery, is handed the last tick
again (as Kafka redelivers an uncommitted message) and escalates on.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from minqing.records import AlertingInput
from minqing.settings import REPO_ROOT, Settings
from tests.alerting_world import MID, T0, alert_input, hours, tick
from tests.conftest_clickhouse import ClickHouseServer, unique_database
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from tests.streams.alerting_rig import EMAIL
from warehouse.alert_queries import AlertQueries
from warehouse.backend import connect
from warehouse.migrations import migrate

pytestmark = pytest.mark.clickhouse


class Proc:
    def __init__(self, cfg: dict[str, object]) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", "tests.streams.alerting_worker_proc", json.dumps(cfg)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line.strip())

    def send(self, *inputs: AlertingInput) -> None:
        assert self.p.stdin is not None
        for inp in inputs:
            self.p.stdin.write(inp.model_dump_json() + "\n")
        self.p.stdin.flush()

    def wait_done(self, n: int, timeout: float = 60) -> None:
        for _ in range(n):
            assert self.lines.get(timeout=timeout).startswith("done")

    def kill9(self) -> None:
        os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(10)

    def stop(self) -> None:
        assert self.p.stdin is not None
        self.p.stdin.close()
        self.p.wait(30)


@pytest.fixture
def receivers() -> Iterator[tuple[SmtpReceiver, HttpReceiver]]:
    smtp, http = SmtpReceiver().start(), HttpReceiver().start()
    yield smtp, http
    smtp.stop()
    http.stop()


def wait_for(cond: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_kill_9_mid_delivery_then_restart(
    clickhouse_server: ClickHouseServer, tmp_path: Path,
    receivers: tuple[SmtpReceiver, HttpReceiver],
) -> None:  # fmt: skip
    smtp, http = receivers
    url = clickhouse_server.url(unique_database())
    backend = connect(Settings(warehouse_url=url))
    migrate(backend)
    cfg = {"warehouse_url": url, "smtp_port": smtp.port, "http_url": http.url,
           "data_dir": str(tmp_path)}  # fmt: skip
    first = Proc(cfg)
    first.send(alert_input(), tick(T0 + timedelta(seconds=31)), tick(hours(0.52)))
    first.wait_done(3)
    assert len(smtp.to(EMAIL["office"])) == 2  # raised, then escalated to the county office
    http.hold_next = 1  # the SMS gateway hangs on the leader's escalation
    first.send(tick(hours(1.02)))
    wait_for(lambda: http.held == 1)
    first.kill9()
    http.release()
    assert http.at("/sms") == []
    second = Proc(cfg)
    second.send(tick(hours(1.02)), tick(hours(1.52)), tick(hours(6)))
    second.wait_done(3)
    second.stop()
    counts = (len(smtp.to(EMAIL["fengqiao"])), len(smtp.to(EMAIL["office"])),
              len(http.at("/ding")), len(http.at("/sms")), len(http.at("/city")))  # fmt: skip
    assert counts == (1, 2, 2, 1, 1)
    steps = [t["step"] for t in AlertQueries(backend).file(MID)["transitions"]
             if t["action"] == "escalate"]  # fmt: skip
    assert steps == [1, 2, 3]
    backend.close()
