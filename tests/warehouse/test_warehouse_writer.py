"""WarehouseWriter: batching by size and time, retry after failure, backpressure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from minqing.errors import WarehouseError
from minqing.records import (
    Accepted,
    Alert,
    AlertEvent,
    AlertOut,
    Matter,
    MatterUpdate,
    Report,
    RiskScore,
)
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import BufferFullError, WarehouseWriter


def _parts(backend: Backend, table: str) -> int:
    sql = (
        "SELECT count() AS n FROM system.parts WHERE database = %(db)s AND table = %(t)s AND active"
    )
    return int(backend.query(sql, {"db": backend.database, "t": table})[0]["n"])


def test_flush_when_batch_is_full(backend: Backend, make_matter: Callable[..., Matter]) -> None:
    writer = WarehouseWriter(backend, batch_rows=5, flush_seconds=60)
    for version in range(1, 5):
        writer.add_record(make_matter(matter_id="m-size", version=version))
    assert not writer.due()
    writer.add_record(make_matter(matter_id="m-size", version=5))
    assert writer.due()
    assert writer.maybe_flush() == 5
    assert writer.pending == 0 and not writer.due()
    assert Queries(backend).counts()["matters"] == 5
    assert _parts(backend, "matters") == 1  # one insert for the whole batch


def test_flush_when_oldest_row_waited(
    backend: Backend, make_risk: Callable[..., RiskScore]
) -> None:
    writer = WarehouseWriter(backend, batch_rows=1000, flush_seconds=0.2)
    assert not writer.due()
    writer.add_record(make_risk())
    assert not writer.due()
    assert writer.maybe_flush() == 0
    time.sleep(0.25)
    assert writer.due()
    assert writer.flush() == 1
    assert not writer.due()


def test_one_insert_per_table_per_flush(
    backend: Backend,
    make_update: Callable[..., MatterUpdate],
    make_alert: Callable[..., Alert],
    make_event: Callable[..., AlertEvent],
) -> None:
    writer = WarehouseWriter(backend)
    for _ in range(20):
        alert = make_alert()
        writer.add_record(make_update())
        writer.add_record(AlertOut(alert=alert, event=make_event(alert_id=alert.alert_id)))
    assert writer.flush() == 80
    for table in ("reports", "matters", "alerts", "alert_events"):
        assert _parts(backend, table) == 1, table
    assert writer.flush() == 0


def test_failed_flush_keeps_rows_for_retry(
    raw_backend: Backend, make_update: Callable[..., MatterUpdate]
) -> None:
    writer = WarehouseWriter(raw_backend)  # no tables yet: the insert fails for real
    writer.add_record(make_update())
    with pytest.raises(WarehouseError):
        writer.flush()
    assert writer.pending == 2
    migrate(raw_backend)
    assert writer.flush() == 2
    assert Queries(raw_backend).counts()["reports"] == 1


def test_full_buffer_pushes_back(
    backend: Backend, make_update: Callable[..., MatterUpdate], make_risk: Callable[..., RiskScore]
) -> None:
    writer = WarehouseWriter(backend, batch_rows=2, max_rows=3)
    writer.add_record(make_risk())
    writer.add_record(make_update())
    with pytest.raises(BufferFullError):
        writer.add_record(make_update())  # two rows, one slot: nothing is added
    assert writer.pending == 3
    writer.flush()
    writer.add_record(make_update())
    assert writer.pending == 2


def test_writer_rejects_bad_sizes(backend: Backend) -> None:
    with pytest.raises(WarehouseError):
        WarehouseWriter(backend, batch_rows=10, max_rows=5)


def test_replayed_reports_leave_no_loss_and_no_duplicates(
    backend: Backend,
    make_report: Callable[..., Report],
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
) -> None:
    updates = [
        make_update(accepted=make_accepted(report=make_report(report_id=f"noloss-{i:03d}")))
        for i in range(200)
    ]
    writer = WarehouseWriter(backend, batch_rows=64)
    for _ in range(2):  # a full replay after a crash
        for update in updates:
            writer.add_record(update)
            writer.maybe_flush()
    writer.flush()
    sql = (
        f"SELECT count(), uniqExact(report_id) FROM {backend.database}.reports FINAL "
        "WHERE report_id LIKE 'noloss-%'"
    )
    assert [tuple(r.values()) for r in backend.query(sql)] == [(200, 200)]


def test_producer_thread_and_flusher(backend: Backend, make_risk: Callable[..., RiskScore]) -> None:
    writer = WarehouseWriter(backend, batch_rows=50, flush_seconds=0.01)
    scores = [make_risk() for _ in range(500)]

    def produce() -> None:
        for score in scores:
            writer.add_record(score)

    producer = threading.Thread(target=produce)
    producer.start()
    while producer.is_alive() or writer.pending:
        writer.maybe_flush()
        time.sleep(0.001)
    producer.join()
    assert Queries(backend).counts()["risk_scores"] == 500
