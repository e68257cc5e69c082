"""Migrations apply on ClickHouse 18.16 and chdb 26, and are idempotent."""

from __future__ import annotations

from warehouse.backend import Backend
from warehouse.migrations import (
    ARCHIVE_TABLES,
    AUTH_TABLES,
    MIGRATIONS,
    READ_TABLES,
    TABLES,
    VIEWS,
    Migration,
    migrate,
)


def _tables(backend: Backend) -> set[str]:
    rows = backend.query(
        "SELECT name FROM system.tables WHERE database = %(db)s", {"db": backend.database}
    )
    return {r["name"] for r in rows}


def test_migrate_applies_all_then_nothing(raw_backend: Backend) -> None:
    versions = [m.version for m in MIGRATIONS]
    assert migrate(raw_backend) == versions
    expected = {*TABLES, *AUTH_TABLES, *READ_TABLES, *VIEWS, *ARCHIVE_TABLES, "schema_migrations"}
    assert _tables(raw_backend) == expected
    assert migrate(raw_backend) == []
    ledger = raw_backend.query(
        f"SELECT version FROM {raw_backend.database}.schema_migrations FINAL ORDER BY version"
    )
    assert [r["version"] for r in ledger] == versions


def test_half_applied_migration_runs_again(raw_backend: Backend) -> None:
    # As if a process died after the first statement but before recording the version.
    first = MIGRATIONS[0]
    raw_backend.command(first.statements[0].replace("{db}", raw_backend.database))
    assert migrate(raw_backend) == [m.version for m in MIGRATIONS]
    assert set(TABLES) <= _tables(raw_backend)


def test_new_migrations_apply_in_order(backend: Backend) -> None:
    # Versions no real migration uses (2 is reserved for risk, 3 is the alert lifecycle).
    extra = (
        Migration(91, "third", ("CREATE TABLE IF NOT EXISTS {db}.t3 (a UInt8) ENGINE = Memory",)),
        Migration(90, "second", ("CREATE TABLE IF NOT EXISTS {db}.t2 (a UInt8) ENGINE = Memory",)),
    )
    assert migrate(backend, MIGRATIONS + extra) == [90, 91]
    assert {"t2", "t3"} <= _tables(backend)
    assert migrate(backend, MIGRATIONS + extra) == []


def test_acceptance_query_runs(backend: Backend) -> None:
    sql = (
        f"SELECT count(), uniqExact(report_id) FROM {backend.database}.reports FINAL "
        "WHERE report_id LIKE 'noloss-%'"
    )
    assert [tuple(r.values()) for r in backend.query(sql)] == [(0, 0)]
