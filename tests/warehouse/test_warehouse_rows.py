"""Pure parts: row conversion, URL parsing, escaping helpers (no engine needed)."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import ModuleType

import pytest

import warehouse.chdb_backend
import warehouse.queries
import warehouse.rows
from minqing.errors import WarehouseError
from minqing.records import Accepted, MatterUpdate, Record, Report
from warehouse.backend import columns_of, parse_url
from warehouse.migrations import TABLES
from warehouse.rows import RECORD_TABLES, report_row, rows_for

CST = timezone(timedelta(hours=8))
MakeReport = Callable[..., Report]
MakeAccepted = Callable[..., Accepted]
MakeUpdate = Callable[..., MatterUpdate]


@pytest.mark.parametrize("module", [warehouse.rows, warehouse.chdb_backend, warehouse.queries])
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_report_row_has_place_receipt_matter_and_naive_utc(
    make_report: MakeReport, make_accepted: MakeAccepted, make_update: MakeUpdate
) -> None:
    report = make_report(received_at=datetime(2024, 5, 1, 16, 0, tzinfo=CST), people_involved=None)
    update = make_update(accepted=make_accepted(report=report, receipt="R-1"))
    row = report_row(update)
    assert row["received_at"] == datetime(2024, 5, 1, 8, 0)
    assert row["receipt"] == "R-1"
    assert row["matter_id"] == update.matter.matter_id
    assert row["version"] == update.matter.version + 1
    assert (row["village"], row["township"], row["county"]) == ("城东村", "暨阳街道", "诸暨市")
    assert row["people_involved"] is None


def test_report_without_id_cannot_be_stored(
    make_report: MakeReport, make_accepted: MakeAccepted, make_update: MakeUpdate
) -> None:
    update = make_update(accepted=make_accepted(report=make_report(report_id=None)))
    with pytest.raises(WarehouseError, match="report_id"):
        report_row(update)


def test_rows_for_matches_record_tables(one_of_each: list[Record]) -> None:
    assert {type(r) for r in one_of_each} == set(RECORD_TABLES)
    for record in one_of_each:
        pairs = rows_for(record)
        assert tuple(t for t, _ in pairs) == RECORD_TABLES[type(record)]
        assert {t for t, _ in pairs} <= set(TABLES)
        assert not any(
            isinstance(v, datetime) and v.tzinfo for _, row in pairs for v in row.values()
        )


def test_rows_for_unknown_record_raises(make_update: MakeUpdate) -> None:
    with pytest.raises(WarehouseError):
        rows_for(make_update().accepted.place)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("clickhouse://ch.local:9440/prod", ("clickhouse", "prod", "ch.local", 9440, "")),
        ("clickhouse://ch.local", ("clickhouse", "minqing", "ch.local", 9000, "")),
        ("chdb:///var/lib/minqing", ("chdb", "minqing", "", 9000, "/var/lib/minqing")),
        ("chdb://data/warehouse", ("chdb", "minqing", "", 9000, "data/warehouse")),
        ("chdb://data/wh?database=t_1", ("chdb", "t_1", "", 9000, "data/wh")),
    ],
)
def test_parse_url(url: str, expected: tuple[str, str, str, int, str]) -> None:
    t = parse_url(url)
    assert (t.scheme, t.database, t.host, t.port, t.path) == expected


@pytest.mark.parametrize(
    "url", ["postgres://x/y", "chdb://", "clickhouse://h/bad-name", "chdb://p?database=a;b"]
)
def test_parse_url_rejects(url: str) -> None:
    with pytest.raises(WarehouseError):
        parse_url(url)


def test_columns_of_rejects_ragged_batches_and_bad_names() -> None:
    with pytest.raises(WarehouseError, match="differ"):
        columns_of([{"a": 1}, {"b": 2}])
    with pytest.raises(WarehouseError, match="name"):
        columns_of([{"a; DROP TABLE x": 1}])
