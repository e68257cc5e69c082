"""The real Faust app on the real tansu broker, writing to the (chdb) warehouse.

The app runs in its own thread and event loop (``app.start()``), as the worker
would run it, with a unique app id (consumer group) and topic prefix. The first
consumer-group join on tansu takes about 30 s.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import pytest
from kafka import KafkaProducer

from minqing.config import Config
from minqing.records import LEVELS, Report
from minqing.regions import Regions
from minqing.settings import Settings
from streams.app import create_app
from streams.broker import LocalBroker
from streams.pipeline import Pipeline
from streams.topics import RAW, create_topics
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import WarehouseWriter

pytestmark = [pytest.mark.slow, pytest.mark.broker]

VILLAGES = ("330681109290", "330681109291", "330681109292")  # three villages of 枫桥镇
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DEADLINE = 90.0


@dataclass
class RunningApp:
    """A Faust app started in a background thread; ``stop()`` waits for it."""

    app: faust.App
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    thread: threading.Thread | None = None
    error: BaseException | None = None
    _stop: asyncio.Future[None] | None = None

    def start(self) -> RunningApp:
        ready = threading.Event()

        async def main() -> None:
            self._stop = self.loop.create_future()
            ready.set()
            await self.app.start()
            try:
                await self._stop
            finally:
                await self.app.stop()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(main())
            except BaseException as e:
                self.error = e
                ready.set()
            finally:
                self.loop.close()

        self.thread = threading.Thread(target=run, name="faust-app", daemon=True)
        self.thread.start()
        assert ready.wait(10)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        if self.thread is None or not self.thread.is_alive():
            return
        stop = self._stop

        def finish() -> None:
            if stop is not None and not stop.done():
                stop.set_result(None)

        self.loop.call_soon_threadsafe(finish)
        self.thread.join(timeout)


@pytest.fixture
def run_app() -> Iterator[Callable[[faust.App], RunningApp]]:
    started: list[RunningApp] = []

    def start(app: faust.App) -> RunningApp:
        running = RunningApp(app).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def growing_matter(make_report: Callable[..., Report]) -> list[Report]:
    """6 reports from 4 informants in 3 villages of one township, up to 60 people."""
    return [
        make_report(
            received_at=T0 + timedelta(hours=3 * i),
            informant_id=f"inf-{i % 4}",
            region_code=VILLAGES[i % 3],
            category="land_requisition",
            title="征地补偿款迟迟不发",
            content=f"村里征地补偿款拖了半年没发，{10 * (i + 1)}多户村民说要集体上访。",
            people_involved=10 * (i + 1),
            signals=["collective_petition"],
        )
        for i in range(6)
    ]


def test_growing_matter_flows_from_raw_topic_to_an_alert_in_the_warehouse(
    broker: LocalBroker,
    settings_factory: Callable[..., Settings],
    unique: Callable[[str], str],
    config: Config,
    regions: Regions,
    warehouse_backend: Callable[..., Backend],
    make_report: Callable[..., Report],
    run_app: Callable[[faust.App], RunningApp],
) -> None:
    t0 = time.monotonic()
    backend = warehouse_backend("chdb")
    migrate(backend)
    queries = Queries(backend)
    settings = settings_factory(
        app_id=unique("minqing-test"),
        kafka_bootstrap=broker.bootstrap,
        writer_batch_rows=50,
        writer_flush_seconds=0.2,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Stack.build does this in the app
    prefix = unique("p") + "."
    create_topics(broker.bootstrap, 1, 1, prefix=prefix)

    def sink() -> Any:
        return WarehouseWriter(backend, settings.writer_batch_rows, settings.writer_flush_seconds)

    app, topics = create_app(settings, Pipeline.from_settings(settings, config), sink, prefix)
    running = run_app(app)

    reports = growing_matter(make_report)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    try:
        for r in reports:
            assert r.report_id is not None
            producer.send(prefix + RAW, key=r.report_id.encode(), value=r.to_bytes())
        producer.send(prefix + RAW, key=b"bad", value=b'{"title": "no informant"}')
        producer.flush(30)
    finally:
        producer.close(5)

    ids = tuple(r.report_id for r in reports)
    db = backend.database
    rows: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    letters: list[dict[str, Any]] = []
    while time.monotonic() - t0 < DEADLINE:
        assert running.error is None, running.error
        rows = backend.query(
            f"SELECT report_id, matter_id FROM {db}.reports FINAL WHERE report_id IN %(ids)s",
            {"ids": ids},
        )
        alerts = queries.list_alerts()
        letters = backend.query(f"SELECT topic, reason_en FROM {db}.dead_letters FINAL")
        matters = {r["matter_id"] for r in rows}
        if len(rows) == 6 and len(matters) == 1 and "" not in matters and alerts and letters:
            break
        time.sleep(1)
    running.stop()
    assert running.thread is not None and not running.thread.is_alive(), "worker did not stop"

    assert len(rows) == 6, f"{len(rows)} of 6 reports in the warehouse after {DEADLINE} s"
    [matter_id] = {r["matter_id"] for r in rows}
    assert matter_id
    [alert] = alerts
    assert alert["matter_id"] == matter_id and alert["status"] == "raised"
    matter = queries.get_matter(matter_id)
    assert matter is not None
    assert (matter["n_reports"], matter["n_informants"], matter["n_villages"]) == (6, 4, 3)
    assert matter["people_max"] == 60 and matter["township"] == "330681109"
    assert [r["report_id"] for r in matter["reports"]] == list(ids)
    history = [
        h for h in matter["risk_history"] if h["model"] == matter["risk_history"][-1]["model"]
    ]
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5, 6]
    # The alert follows the latest score, never below the configured minimum.
    latest = history[-1]["level"]
    assert alert["level"] == max(latest, config.alerts.min_level, key=LEVELS.index)
    assert matter["events"][0]["kind"] == "raised"
    assert letters == [{"topic": topics.raw.get_topic_name(), "reason_en": "invalid report"}]
