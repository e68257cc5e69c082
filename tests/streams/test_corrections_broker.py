"""A correction the whole way: the API, the real tansu broker, the worker, the warehouse.

Two look-alike reports become one matter; an admin moves one out through the
API; the worker applies it, the warehouse says so and re-points the report; a
third look-alike does not pull it back; a merge through the API makes them one
again. The first consumer-group join on tansu takes about 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import faust
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer

from minqing.config import Config
from minqing.records import Report
from minqing.regions import Regions
from minqing.settings import Settings
from producers.alerts_api import KafkaPublisher
from producers.corrections_api import corrections_router
from producers.intake import create_web_app
from producers.outbox import Outbox
from streams.app import create_app
from streams.broker import LocalBroker
from streams.pipeline import Pipeline
from streams.topics import CORRECTIONS, RAW, create_topics
from tests.authkit import headers
from tests.streams import test_pipeline_broker as pb
from warehouse import corrections
from warehouse.backend import Backend
from warehouse.corrections import CorrectionStore
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.window import window_reports
from warehouse.writer import WarehouseWriter

pytestmark = [pytest.mark.slow, pytest.mark.broker]
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DEADLINE = 120.0


@pytest.fixture
def started() -> Iterator[Callable[[faust.App], pb.RunningApp]]:
    apps: list[pb.RunningApp] = []

    def start(app: faust.App) -> pb.RunningApp:
        apps.append(pb.RunningApp(app).start())
        return apps[-1]

    yield start
    for running in apps:
        running.stop()


def until(what: str, check: Callable[[], Any], t0: float) -> Any:
    while time.monotonic() - t0 < DEADLINE:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {DEADLINE} s")


def test_a_move_out_and_a_merge_through_the_api_and_the_broker(
    broker: LocalBroker, settings_factory: Callable[..., Settings],
    unique: Callable[[str], str], config: Config, regions: Regions, tmp_path: Path,
    warehouse_backend: Callable[..., Backend], make_report: Callable[..., Report],
    started: Callable[[faust.App], pb.RunningApp],
) -> None:  # fmt: skip
    t0 = time.monotonic()
    backend = warehouse_backend("chdb")
    migrate(backend)
    settings = settings_factory(app_id=unique("minqing-fix"), kafka_bootstrap=broker.bootstrap,
                                writer_batch_rows=10, writer_flush_seconds=0.2)  # fmt: skip
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prefix = unique("p") + "."
    create_topics(broker.bootstrap, 1, 1, prefix=prefix)
    pipeline = Pipeline.from_settings(settings, config)
    pipeline.history = partial(window_reports, backend)
    pipeline.corrections = CorrectionStore(backend)
    app, _ = create_app(settings, pipeline, lambda: WarehouseWriter(backend, 10, 0.2), prefix)
    running = started(app)

    ids = [unique("a"), unique("b"), unique("c")]
    reports = [
        make_report(report_id=rid, informant_id=f"inf-{i}", region_code="330681109290",
                    received_at=T0 + timedelta(hours=i), title="化工厂夜间偷排废水，河水发黑发臭",
                    content="村口化工厂每天夜里往河里偷排废水，河水发黑发臭。")
        for i, rid in enumerate(ids)
    ]  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")

    def send(r: Report) -> None:
        producer.send(prefix + RAW, key=(r.report_id or "").encode(), value=r.to_bytes())
        producer.flush(30)

    def matter_of(rid: str) -> str:
        assert running.error is None, running.error
        return corrections.report_matter(backend, rid) or ""

    send(reports[0])
    send(reports[1])
    joined = until("one matter", lambda: matter_of(ids[0]) == matter_of(ids[1]) != "", t0)
    assert joined
    mid = matter_of(ids[0])

    publisher = KafkaPublisher(broker.bootstrap, prefix + CORRECTIONS)
    web = create_web_app(settings, config, Outbox(tmp_path / "outbox.sqlite3"), Queries(backend),
                         routers=[corrections_router(backend, publisher)])  # fmt: skip
    client, admin = TestClient(web), headers(backend)

    def settled(url: str) -> dict[str, Any] | None:
        out: dict[str, Any] = client.get(url, headers=admin).json()
        return None if out["status"] == "pending" else out

    try:
        resp = client.post(f"/api/v1/matters/{mid}/move-out", headers=admin,
                           json={"report_id": ids[1], "reason": "另一件事"})  # fmt: skip
        assert resp.status_code == 202, resp.text
        url = resp.json()["outcome_url"]
        verdict = until("verdict", lambda: settled(url), t0)
        assert verdict["status"] == "done", verdict
        alone = verdict["result"][1]
        until("the moved report re-pointed", lambda: matter_of(ids[1]) == alone, t0)

        send(reports[2])  # a look-alike of both
        until("the third report", lambda: matter_of(ids[2]) != "", t0)
        assert matter_of(ids[0]) == mid and matter_of(ids[1]) == alone
        assert matter_of(ids[2]) in (mid, alone)

        resp = client.post(f"/api/v1/matters/{mid}/merge", headers=admin,
                           json={"other": alone, "reason": "同一件事"})  # fmt: skip
        assert resp.status_code == 202, resp.text
        url = resp.json()["outcome_url"]
        merged = until("merge verdict", lambda: settled(url), t0)
        assert merged["status"] == "done", merged
        [one] = merged["result"]
        until("all in one matter", lambda: {matter_of(r) for r in ids} == {one}, t0)
    finally:
        producer.close(5)
        publisher.close()
