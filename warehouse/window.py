"""The reports of the clustering window, read back to rebuild a worker's state.

A worker whose broker kept nothing (the local in-memory broker after a
restart) refolds its models over these, in event-time order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from minqing.records import Accepted, Place, Report
from warehouse.backend import Backend

REPORT_COLUMNS = (
    "report_id", "received_at", "informant_id", "region_code", "region_text", "category",
    "title", "content", "people_involved", "signals", "channel",
)  # fmt: skip


def accepted_from_row(row: dict[str, Any]) -> Accepted:
    """The record a ``reports`` row was written from."""
    fields = {k: row[k] for k in REPORT_COLUMNS}
    at = fields["received_at"]
    fields["received_at"] = at if at.tzinfo else at.replace(tzinfo=UTC)
    place = Place(village=row["village"] or None, township=row["township"] or None,
                  county=row["county"] or None)  # fmt: skip
    return Accepted(report=Report(**fields), place=place, receipt=row["receipt"])


def window_reports(backend: Backend, since: datetime, limit: int = 2_000_000) -> list[Accepted]:
    """Reports received since ``since`` that the pipeline had clustered, oldest first.

    Reports only recorded as received are left out: they are still on their way
    through the broker and will be clustered when they arrive.
    """
    db = backend.database
    cols = ", ".join((*REPORT_COLUMNS, "village", "township", "county", "receipt"))
    # reports is ordered by report_id, so "since" alone would read all of it (FINAL) at
    # every start; reports_by_time (migration 6) is ordered by received_at and names the
    # window's ids, which the primary key then finds. The filters are checked again on
    # the latest version, so the rows are exactly those the base table gives.
    sql = (
        f"SELECT {cols} FROM {db}.reports FINAL "
        f"WHERE report_id IN (SELECT report_id FROM {db}.reports_by_time "
        "WHERE received_at >= %(since)s AND matter_id != '') "
        "AND received_at >= %(since)s AND matter_id != '' "
        "ORDER BY received_at, report_id LIMIT %(limit)s"
    )
    since_utc = since.astimezone(UTC).replace(tzinfo=None)
    rows = backend.query(sql, {"since": since_utc, "limit": limit})
    return [accepted_from_row(r) for r in rows]
