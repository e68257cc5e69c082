"""End to end, as a user runs it: `minqing up`, reports over HTTP, an alert, a clean stop.

The stack runs in its own process with its own broker and its own embedded
warehouse (a chdb path other than this test session's: chdb allows one data
path per process). Afterwards the warehouse is read from yet another process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from minqing.records import Report
from minqing.settings import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

VILLAGES = ("330681109290", "330681109291", "330681109292")  # three villages of 枫桥镇
READY_TIMEOUT = 60.0
ALERT_TIMEOUT = 120.0
EXIT_TIMEOUT = 15.0

READ_WAREHOUSE = """
import json, sys
from chdb import session
s = session.Session(sys.argv[1])
def rows(sql):
    text = str(s.query(sql, "JSON").data())
    return json.loads(text)["data"] if text.strip() else []
print(json.dumps({
    "reports": rows("SELECT report_id, matter_id, version FROM minqing.reports FINAL"),
    "alerts": rows("SELECT alert_id, matter_id, level, status FROM minqing.alerts FINAL"),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    proc: subprocess.Popen[bytes]
    base: str
    kafka_port: int
    warehouse: Path
    log: Path
    data: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def admin(self) -> dict[str, str]:
        """The first-run admin's token (data/credentials.json, readable by its owner only)."""
        path = self.data / "credentials.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        accounts = json.loads(path.read_text(encoding="utf-8"))["accounts"]
        token = next(a["token"] for a in accounts if a["role"] == "admin")
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def minqing_up(tmp_path: Path) -> Iterator[Stack]:
    """`python -m minqing.cli up` on free ports with its own data dir and warehouse."""
    http_port, kafka_port = free_port(), free_port()
    warehouse = tmp_path / "warehouse"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(
        MINQING_HTTP_PORT=str(http_port),
        MINQING_KAFKA_PORT=str(kafka_port),
        MINQING_DATA_DIR=str(tmp_path / "data"),
        MINQING_WAREHOUSE_URL=f"chdb://{warehouse}",
        MINQING_OUTBOX_POLL_SECONDS="0.5",
    )
    log = tmp_path / "minqing-up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "minqing.cli", "up"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole below
        )
    stack = Stack(proc, f"http://127.0.0.1:{http_port}", kafka_port, warehouse, log,
                  tmp_path / "data")  # fmt: skip
    try:
        wait_healthy(stack)
        yield stack
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the broker child, should it linger


def wait_healthy(stack: Stack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if stack.proc.poll() is not None:
            pytest.fail(f"minqing up exited with {stack.proc.returncode}:\n{stack.log_tail()}")
        try:
            if httpx.get(f"{stack.base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"minqing up not healthy after {READY_TIMEOUT} s:\n{stack.log_tail()}")


def form_bodies(make_report: Callable[..., Report]) -> list[dict[str, Any]]:
    """A growing matter as informants type it in the form (no ids, no times)."""
    bodies = []
    for i in range(6):
        report = make_report(
            informant_id=f"inf-{i % 4}",
            region_code=VILLAGES[i % 3],
            category="land_requisition",
            title="征地补偿款迟迟不发",
            content=f"村里征地补偿款拖了半年没发，{10 * (i + 1)}多户村民说要集体上访。",
            people_involved=10 * (i + 1),
            signals=["collective_petition"],
        )
        body = json.loads(report.to_bytes())
        del body["report_id"], body["received_at"]
        bodies.append(body)
    return bodies


def poll(what: str, check: Callable[[], Any], stack: Stack, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        assert stack.proc.poll() is None, f"minqing up died:\n{stack.log_tail()}"
        last = check()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"{what}: not after {timeout} s (last {last!r}):\n{stack.log_tail()}")


def test_minqing_up_turns_a_growing_matter_into_one_alert(
    minqing_up: Stack, make_report: Callable[..., Report]
) -> None:
    stack = minqing_up
    with httpx.Client(base_url=stack.base, timeout=10) as client:
        assert "民情信息报送" in client.get("/").text
        answers = []
        for body in form_bodies(make_report):
            resp = client.post("/api/v1/reports", json=body)
            assert resp.status_code == 201, resp.text
            answers.append(resp.json())
        report_ids = {a["report_id"] for a in answers}
        receipts = [a["receipt"] for a in answers]
        assert len(report_ids) == 6
        for receipt in receipts:  # answered at once, from the outbox or the warehouse
            assert client.get(f"/api/v1/reports/{receipt}").json()["status"] in (
                "received",
                "in_matter",
                "alert_raised",
            )

        # development's open mode shows the alert list; a matter's file needs an account
        assert client.get("/api/v1/alerts").status_code == 200
        assert client.get("/api/v1/matters/nothing-here").status_code == 401
        admin = stack.admin()

        def alerts() -> list[dict[str, Any]]:
            return list(client.get("/api/v1/alerts", headers=admin).json()["items"])

        [alert] = poll("an alert", alerts, stack, ALERT_TIMEOUT)
        matter_id = alert["matter_id"]
        assert alert["status"] == "raised" and alert["level"] in ("yellow", "orange", "red")

        def statuses() -> list[str] | None:
            got = [client.get(f"/api/v1/reports/{r}").json()["status"] for r in receipts]
            return got if all(s in ("in_matter", "alert_raised") for s in got) else None

        assert set(poll("every report in the matter", statuses, stack, 30)) == {"alert_raised"}

        def full_matter() -> dict[str, Any] | None:
            m = client.get(f"/api/v1/matters/{matter_id}", headers=admin).json()
            return m if len(m.get("reports", [])) == 6 and m["n_reports"] == 6 else None

        matter = poll("the matter with all reports", full_matter, stack, 30)
        assert {r["report_id"] for r in matter["reports"]} == report_ids
        assert matter["alert"]["alert_id"] == alert["alert_id"]

        def outbox_drained() -> bool:
            return client.get("/healthz").json()["outbox_depth"] == 0

        poll("the outbox to drain", outbox_drained, stack, 30)
        levels = [a["level"] for a in alerts()]
        assert len(levels) == 1  # one alert per matter, however often its level changed

    stack.proc.send_signal(signal.SIGTERM)
    try:
        code = stack.proc.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"minqing up still running {EXIT_TIMEOUT} s after SIGTERM")
    assert code == 0, stack.log_tail()
    deadline = time.monotonic() + 5
    while listening(stack.kafka_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listening(stack.kafka_port), "the broker outlived minqing up"

    done = subprocess.run(
        [sys.executable, "-c", READ_WAREHOUSE, str(stack.warehouse)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    stored = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [r for r in stored["reports"] if r["report_id"] in report_ids]
    assert sorted(r["report_id"] for r in rows) == sorted(report_ids)  # each exactly once
    assert {r["matter_id"] for r in rows} == {matter_id}
    assert all(int(r["version"]) >= 1 for r in rows)
    assert [(a["alert_id"], a["matter_id"]) for a in stored["alerts"]] == [
        (alert["alert_id"], matter_id)
    ]
