"""Retention: reports older than ``MINQING_RETENTION_MONTHS`` are dropped, a month at a time.

``reports`` is partitioned by ``toYYYYMM(received_at)``, so dropping a whole
partition (``ALTER TABLE ... DROP PARTITION 202401``) removes a month of
reports at once, with no mutation to wait for; the statement is the same on
ClickHouse 18.16 and chdb 26. A month goes once every report in it is older
than the cutoff: with 24 months kept, on 2026-11-15 everything before
2024-11 is dropped. Matters, alerts and the audit log are kept: they hold no
report text and no informant id. Run ``minqing retention`` daily (cron, a
systemd timer); ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import logging
from datetime import datetime

from warehouse.backend import Backend, identifier

log = logging.getLogger(__name__)
PARTITIONED = ("reports",)


def month_key(at: datetime, months_back: int) -> int:
    """YYYYMM of the month ``months_back`` months before ``at``'s month.

    >>> month_key(datetime(2026, 11, 15), 24), month_key(datetime(2026, 1, 1), 1)
    (202411, 202512)
    """
    index = at.year * 12 + (at.month - 1) - months_back
    return (index // 12) * 100 + index % 12 + 1


def partitions(backend: Backend, table: str) -> list[int]:
    """The table's active toYYYYMM partitions, oldest first."""
    sql = (
        "SELECT DISTINCT partition FROM system.parts "
        "WHERE database = %(db)s AND table = %(t)s AND active"
    )
    rows = backend.query(sql, {"db": backend.database, "t": table})
    return sorted(int(r["partition"]) for r in rows if str(r["partition"]).isdigit())


def expired(backend: Backend, months: int, now: datetime, table: str = "reports") -> list[int]:
    """Partitions of ``table`` wholly older than ``months`` months before ``now``."""
    if months <= 0:
        return []
    cutoff = month_key(now, months)
    return [p for p in partitions(backend, table) if p < cutoff]


def drop_expired(backend: Backend, months: int, now: datetime,
                 dry_run: bool = False) -> dict[str, list[int]]:  # fmt: skip
    """Drop (or with ``dry_run`` only list) every expired partition; returns them by table."""
    dropped: dict[str, list[int]] = {}
    for table in PARTITIONED:
        old = expired(backend, months, now, table)
        for partition in old if not dry_run else []:
            # An integer literal: partition values cannot be bound as parameters.
            target = f"{backend.database}.{identifier(table)}"
            backend.command(f"ALTER TABLE {target} DROP PARTITION {int(partition)}")
        if old:
            log.info("retention: %s %s partitions %s", "would drop" if dry_run else "dropped",
                     table, old)  # fmt: skip
        dropped[table] = old
    return dropped
