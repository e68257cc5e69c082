"""Analysts' clustering corrections in the warehouse (``matter_corrections``, migration 7).

The API records a request (version 1, queued) before publishing it; the worker
records its verdict (version 2, applied or rejected). ReplacingMergeTree keyed on
the correction id keeps the verdict, and writing either row twice changes nothing.
A worker that refolds its state reads the applied ones back (``applied_since``).

Reports a correction moved to another matter get a ``reports`` row at a version
above any the pipeline writes (``MOVED_VERSION``), so the warehouse says which
matter a report is in now, whatever the versions of the matters were.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from minqing.records import Accepted, Correction, Matter, MatterUpdate
from warehouse.backend import Backend
from warehouse.rows import report_row, utc_naive

log = logging.getLogger(__name__)
Row = dict[str, Any]
TABLE = "matter_corrections"
COLUMNS = (
    "correction_id, version, kind, matter_id, other, report_id, reason, actor, at, status, "
    "note, as_of, anchors, apart, result, applied_at"
)
# Pipeline report rows are versioned by matter version + 1 (small numbers); a moved
# report's row must beat them: 2^40 plus the correction's time in milliseconds.
MOVED_VERSION = 1 << 40


def correction_row(c: Correction) -> Row:
    row = c.model_dump()
    for key in ("at", "as_of", "applied_at"):
        row[key] = None if row[key] is None else utc_naive(row[key])
    return row


def correction_from_row(row: Row) -> Correction:
    fields = {k: row[k] for k in row if k != "ingested_at"}
    for key in ("at", "as_of", "applied_at"):
        at = fields.get(key)
        if isinstance(at, datetime) and at.tzinfo is None:
            fields[key] = at.replace(tzinfo=UTC)
    return Correction.model_validate(fields)


def record(backend: Backend, c: Correction) -> None:
    """Write one version of a correction (idempotent: the same row twice is one row)."""
    backend.insert(TABLE, [correction_row(c)])


def get(backend: Backend, correction_id: str) -> Correction | None:
    sql = (
        f"SELECT {COLUMNS} FROM {backend.database}.{TABLE} FINAL "
        "WHERE correction_id = %(c)s LIMIT 1"
    )
    rows = backend.query(sql, {"c": correction_id})
    return correction_from_row(rows[0]) if rows else None


def applied_since(backend: Backend, since: datetime) -> list[Correction]:
    """Applied corrections whose clustering clock is at or after ``since``, in applied order."""
    sql = (
        f"SELECT {COLUMNS} FROM {backend.database}.{TABLE} FINAL "
        "WHERE status = 'applied' AND as_of >= %(since)s "
        "ORDER BY applied_at, correction_id"
    )
    rows = backend.query(sql, {"since": utc_naive(since)})
    return [correction_from_row(r) for r in rows]


def matter_place(backend: Backend, matter_id: str) -> Row | None:
    """The latest version's township and county of a matter, None when unknown."""
    sql = (
        f"SELECT matter_id, township, county FROM {backend.database}.matters "
        "WHERE matter_id = %(m)s ORDER BY version DESC LIMIT 1"
    )
    rows = backend.query(sql, {"m": matter_id})
    return rows[0] if rows else None


def report_matter(backend: Backend, report_id: str) -> str | None:
    """The matter a report is in now ('' while unclustered), None when unknown."""
    sql = f"SELECT matter_id FROM {backend.database}.reports FINAL WHERE report_id = %(r)s LIMIT 1"
    rows = backend.query(sql, {"r": report_id})
    return str(rows[0]["matter_id"]) if rows else None


def moved_rows(moved: list[tuple[Accepted, Matter]], applied_at: datetime) -> list[Row]:
    """``reports`` rows putting each report in its matter, above any pipeline version."""
    version = MOVED_VERSION + int(applied_at.timestamp() * 1000)
    rows = []
    for accepted, matter in moved:
        row = report_row(MatterUpdate(accepted=accepted, matter=matter, similarity=1.0,
                                      new_matter=False))  # fmt: skip
        rows.append({**row, "version": version})
    return rows


def record_moved(backend: Backend, moved: list[tuple[Accepted, Matter]],
                 applied_at: datetime) -> None:  # fmt: skip
    rows = moved_rows(moved, applied_at)
    if rows:
        backend.insert("reports", rows)
        log.info("%d report rows re-pointed by a correction", len(rows))


class CorrectionStore:
    """The worker's side (``streams.pipeline.CorrectionLog``) over one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def applied_since(self, since: datetime) -> list[Correction]:
        return applied_since(self.backend, since)

    def save(self, c: Correction) -> None:
        record(self.backend, c)

    def moved(self, rows: list[tuple[Accepted, Matter]], at: datetime) -> None:
        record_moved(self.backend, rows, at)
