"""The clustering window read back for a restarted worker, on chdb and on ClickHouse 18.16."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from minqing.records import Accepted, Matter, MatterUpdate, Report
from tests.warehouse.conftest import T0
from warehouse.backend import Backend
from warehouse.rows import accepted_row, report_row
from warehouse.window import window_reports


def test_window_is_the_clustered_reports_since_the_start_oldest_first(
    backend: Backend,
    make_report: Callable[..., Report],
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
) -> None:
    def report(minutes: float) -> Accepted:
        return make_accepted(make_report(received_at=T0 + timedelta(minutes=minutes)))

    old, late, early, waiting = report(-90), report(30), report(10), report(20)
    moved = report(40)
    rows = [accepted_row(a) for a in (old, late, early, waiting, moved)]
    rows += [report_row(make_update(a, make_matter(version=3))) for a in (old, late, early)]
    # A report that left its matter is still in the window under the newest row's matter.
    rows += [report_row(make_update(moved, make_matter(matter_id="M-a", version=1))),
             report_row(make_update(moved, make_matter(matter_id="M-b", version=7)))]  # fmt: skip
    backend.insert("reports", rows)
    backend.insert("reports", [report_row(make_update(early, make_matter(version=3)))])  # again

    found = window_reports(backend, T0)
    # Not the one before the start; not the one still on its way (no matter yet).
    assert found == [early, late, moved]
    assert window_reports(backend, T0, limit=2) == [early, late]
    assert window_reports(backend, T0 + timedelta(hours=1)) == []
