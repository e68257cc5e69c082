"""Migration 6: read models kept by materialised views, so the dashboard stays fast at 10 M.

``reports`` is ordered by report_id and ``matters`` by (matter_id, version): right
for writes and for lookups by id, but a report by its receipt, a matter's reports
and anything "since" a time would read the whole table. Each read model below is
a narrow copy in the order that question needs, filled by a materialised view on
every insert into the base table (and once from what is already there).

Most only narrow the search: lookups take the ids from a read model and then read
the base table FINAL by primary key, so a result is exactly what the base table
says. ``matters_by_time`` carries the matters list's columns too, so that list is
read from it alone (the newest version per matter), with no second pass. The
time-ordered copies keep every column their queries (and region scope)
filter on, and are ReplacingMergeTree on the same versions, so a query over one
counts what the same query over the base table counts.
Statements run on ClickHouse 18.16 and chdb 26; ``{db}`` is the database.
"""

from __future__ import annotations

_UTC = "DateTime('UTC')"

READ_TABLES = ("reports_by_receipt", "reports_by_matter", "reports_by_time", "matters_by_time")
VIEWS = tuple(f"{t}_mv" for t in READ_TABLES)

# (table DDL, view SELECT); the view's target is the table of the same name.
_MODELS: dict[str, tuple[str, str]] = {
    "reports_by_receipt": (
        "receipt String, report_id String) ENGINE = ReplacingMergeTree() "
        "ORDER BY (receipt, report_id)",
        "SELECT receipt, report_id FROM {db}.reports",
    ),
    "reports_by_matter": (
        "matter_id String, report_id String) ENGINE = ReplacingMergeTree() "
        "ORDER BY (matter_id, report_id)",
        "SELECT matter_id, report_id FROM {db}.reports WHERE matter_id != ''",
    ),
    # received_at never changes between a report's versions, so it can lead the key.
    "reports_by_time": (
        f"received_at {_UTC}, report_id String, version UInt64, matter_id String, "
        "category Nullable(String), township Nullable(String), county Nullable(String), "
        "signals Array(String)) ENGINE = ReplacingMergeTree(version) "
        "PARTITION BY toYYYYMM(received_at) ORDER BY (received_at, report_id)",
        "SELECT received_at, report_id, version, matter_id, category, township, county, "
        "signals FROM {db}.reports",
    ),
    # Every matter version with the columns the matters list shows, newest last_seen last;
    # first_seen <= last_seen in every row.
    "matters_by_time": (
        f"last_seen {_UTC}, matter_id String, version UInt64, first_seen {_UTC}, "
        "title String, category Nullable(String), keywords Array(String), "
        "township Nullable(String), county Nullable(String), n_reports UInt32, "
        "n_informants UInt32, n_villages UInt32, people_max Int32, signals Array(String)) "
        "ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(last_seen) "
        "ORDER BY (last_seen, matter_id, version)",
        "SELECT last_seen, matter_id, version, first_seen, title, category, keywords, township, "
        "county, n_reports, n_informants, n_villages, people_max, signals FROM {db}.matters",
    ),
}


def _statements() -> tuple[str, ...]:
    """Per model: the table, then the view, then the backfill.

    In that order, a row inserted while this runs is copied by the view, the
    backfill, or both; twice is harmless (ReplacingMergeTree, and readers only
    use these to find ids).
    """
    out: list[str] = []
    for name, (columns, select) in _MODELS.items():
        out.append(f"CREATE TABLE IF NOT EXISTS {{db}}.{name} ({columns}")
        out.append(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{name}_mv "
                   f"TO {{db}}.{name} AS {select}")  # fmt: skip
        out.append(f"INSERT INTO {{db}}.{name} {select}")
    return tuple(out)


READ_MODEL_STATEMENTS = _statements()
