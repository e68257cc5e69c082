"""ReceivedRecorder: outbox items written to the warehouse as 'received' (version 0)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from minqing.config import Config
from minqing.receipts import receipt_for
from minqing.records import Accepted, Report
from minqing.regions import Regions
from producers.received import ReceivedRecorder
from streams.pipeline import Pipeline
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import WarehouseWriter

SECRET = "rec-secret"


@pytest.fixture
def backend(warehouse_backend: Callable[..., Backend]) -> Backend:
    b = warehouse_backend("chdb")
    migrate(b)
    return b


def items(*reports: Report) -> list[tuple[str, bytes]]:
    return [(r.report_id or "", r.to_bytes()) for r in reports]


def test_records_reports_as_received(
    backend: Backend, regions: Regions, make_report: Callable[..., Report]
) -> None:
    a, b = make_report(region_code="330681109290"), make_report()
    recorder = ReceivedRecorder(backend, regions, SECRET)
    assert recorder(items(a, b)) == [a.report_id, b.report_id]
    q = Queries(backend)
    ids = [a.report_id or "", b.report_id or ""]
    assert q.present_report_ids(ids) == set(ids)
    assert q.present_report_ids(ids, processed=True) == set()
    status = q.report_status(receipt_for(a.report_id or "", SECRET))
    assert status is not None and status["status"] == "received" and status["matter_id"] is None
    [row] = backend.query(
        f"SELECT village, township, version, matter_id FROM {backend.database}.reports "
        "WHERE report_id = %(r)s",
        {"r": a.report_id},
    )
    assert row == {
        "village": "330681109290",
        "township": "330681109",
        "version": 0,
        "matter_id": "",
    }


def test_recording_twice_leaves_one_row(
    backend: Backend, regions: Regions, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    recorder = ReceivedRecorder(backend, regions, SECRET)
    recorder(items(report))
    recorder(items(report))
    assert Queries(backend).counts()["reports"] == 1


def test_a_late_received_row_does_not_undo_the_matter(
    backend: Backend,
    regions: Regions,
    config: Config,
    make_report: Callable[..., Report],
) -> None:
    """The pipeline's row (version >= 1) wins over the recorder's (version 0) in any order."""
    report = make_report()
    pipeline = Pipeline(config, regions, SECRET)
    accepted = pipeline.validate(report.to_bytes(), "reports.raw")
    assert isinstance(accepted, Accepted)
    writer = WarehouseWriter(backend)
    writer.add_record(pipeline.cluster(accepted))
    writer.flush()
    ReceivedRecorder(backend, regions, SECRET)(items(report))
    status = Queries(backend).report_status(accepted.receipt)
    assert status is not None and status["status"] == "in_matter"


def test_an_item_that_no_longer_validates_is_skipped_loudly(
    backend: Backend,
    regions: Regions,
    make_report: Callable[..., Report],
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = make_report()
    recorder = ReceivedRecorder(backend, regions, SECRET)
    with caplog.at_level(logging.ERROR, logger="producers.received"):
        done = recorder([("bad-1", b'{"title": 1}'), *items(good)])
    assert done == ["bad-1", good.report_id]  # marked done: never retried forever
    assert "bad-1" in caplog.text
    assert Queries(backend).counts()["reports"] == 1
