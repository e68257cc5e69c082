"""The read models (migration 6) answer exactly what the base tables would, on both engines.

They are filled by materialised views on insert and, for rows written before the
migration, by its backfill; a report that moves to another matter is listed
under its new matter only, and "since" counts ignore rows written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from minqing.records import Accepted, Matter, MatterUpdate
from warehouse.backend import Backend
from warehouse.migrations import MIGRATIONS, migrate
from warehouse.queries import Queries
from warehouse.read_models import READ_TABLES
from warehouse.writer import WarehouseWriter
from web.queries import UiQueries

from .conftest import T0

Factory = Callable[..., MatterUpdate]


def write(backend: Backend, *records: Accepted | MatterUpdate, times: int = 2) -> None:
    writer = WarehouseWriter(backend)
    for _ in range(times):
        for record in records:
            writer.add_record(record)
        writer.flush()


def test_a_moved_report_is_listed_under_its_new_matter_only(
    backend: Backend, make_accepted: Callable[..., Accepted],
    make_matter: Callable[..., Matter], make_update: Factory,
) -> None:  # fmt: skip
    item = make_accepted(receipt="RM-1")
    first, second = make_matter(matter_id="m-old"), make_matter(matter_id="m-new", version=3)
    write(backend, item, make_update(accepted=item, matter=first))
    write(backend, make_update(accepted=item, matter=second))
    q = Queries(backend)
    old, new = q.get_matter("m-old"), q.get_matter("m-new")
    assert old is not None and old["reports"] == []
    assert new is not None and [r["report_id"] for r in new["reports"]] == [item.report.report_id]
    status = q.report_status("RM-1")
    assert status is not None and status["matter_id"] == "m-new"


def test_backfill_covers_rows_written_before_the_migration(
    raw_backend: Backend, make_accepted: Callable[..., Accepted],
    make_matter: Callable[..., Matter], make_update: Factory,
) -> None:  # fmt: skip
    migrate(raw_backend, tuple(m for m in MIGRATIONS if m.version < 6))
    item = make_accepted(receipt="RB-1")
    write(raw_backend, make_update(accepted=item, matter=make_matter(matter_id="m-b")))
    assert migrate(raw_backend) == [m.version for m in MIGRATIONS if m.version >= 6]
    db = raw_backend.database
    for table in READ_TABLES:
        rows = raw_backend.query(f"SELECT count() AS n FROM {db}.{table}")
        assert rows[0]["n"] >= 1, table
    status = Queries(raw_backend).report_status("RB-1")
    assert status is not None and status["matter_id"] == "m-b"


def test_since_counts_match_the_base_tables(
    backend: Backend, make_accepted: Callable[..., Accepted],
    make_matter: Callable[..., Matter], make_update: Factory,
) -> None:  # fmt: skip
    items = [make_accepted() for _ in range(3)]
    matter = make_matter(matter_id="m-c", first_seen=T0, last_seen=T0)
    write(backend, *items)  # version 0, as the intake records them
    write(backend, *(make_update(accepted=i, matter=matter) for i in items))
    ui, now = UiQueries(backend, "Asia/Shanghai"), T0 + timedelta(hours=1)
    counts = ui.report_counts(now)
    assert (counts["day"], counts["month"]) == (3, 3)
    assert ui.matter_counts(T0 - timedelta(days=1)) == {"active": 1, "new": 1}
    trends = ui.trends(7, now)
    assert sum(int(r["n"]) for r in trends["reports_by_category"]) == 3
    assert sum(int(r["n"]) for r in trends["new_matters"]) == 1
    assert [m["matter_id"] for m in ui.matters(limit=10)] == ["m-c"]
