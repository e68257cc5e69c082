"""Versioned, idempotent schema migrations.

Every statement must run on ClickHouse 18.16 and on chdb 26: plain types only
(no LowCardinality, DateTime64, Map, JSON; no TTL). ``CREATE ... IF NOT EXISTS``
is accepted by both, so a migration that stopped half way can simply run again.
All tables are ReplacingMergeTree: writing a row twice leaves one copy after
FINAL, which is what makes the writer safe to retry. ``{db}`` is replaced by
the backend's database name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from warehouse.auth_schema import AUTH_STATEMENTS, AUTH_TABLES
from warehouse.backend import Backend
from warehouse.read_models import READ_MODEL_STATEMENTS, READ_TABLES, VIEWS

log = logging.getLogger(__name__)

TABLES: tuple[str, ...] = (
    "reports",
    "matters",
    "risk_scores",
    "alerts",
    "alert_events",
    "dead_letters",
)
# Migration 3: the alert lifecycle, notifications and their delivery log.
ALERTING_TABLES = (
    "alert_actions",
    "alert_transitions",
    "alert_cases",
    "alerting_snapshots",
    "silences",
    "notifications",
    "suppressions",
    "deliveries",
)
TABLES = TABLES + ALERTING_TABLES
# Migration 4 (warehouse/auth_schema.py): kept out of TABLES, which lists the pipeline's data.
__all__ = ["ALERTING_TABLES", "ARCHIVE_TABLES", "AUTH_TABLES", "MIGRATIONS", "READ_TABLES",
           "TABLES", "VIEWS", "Migration", "applied_versions", "migrate"]  # fmt: skip

# DateTime columns are UTC on purpose: servers in other timezones read the same instants.
_UTC = "DateTime('UTC')"
_INGESTED = f"ingested_at {_UTC} DEFAULT now()"

LEDGER = f"""
CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations (
    version UInt32,
    note String,
    applied_at {_UTC} DEFAULT now()
) ENGINE = ReplacingMergeTree() ORDER BY version
"""

# Report rows: version 0 = accepted, not yet in a matter; n + 1 = joined at matter version n.
REPORTS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.reports (
    report_id String, receipt String, received_at {_UTC},
    informant_id String, region_code Nullable(String), region_text Nullable(String),
    category Nullable(String), title String, content String,
    people_involved Nullable(Int32), signals Array(String), channel String,
    village Nullable(String), township Nullable(String), county Nullable(String),
    matter_id String, version UInt64, {_INGESTED}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(received_at) ORDER BY report_id
"""

# Every matter version is kept (history); the latest is the highest version.
MATTERS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.matters (
    matter_id String, version UInt64, title String, category Nullable(String),
    keywords Array(String), township Nullable(String), county Nullable(String),
    n_reports UInt32, n_informants UInt32, n_villages UInt32, people_max Int32,
    signals Array(String), first_seen {_UTC}, last_seen {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY (matter_id, version)
"""

RISK_SCORES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.risk_scores (
    matter_id String, version UInt64, report_id String, risk Float64, level String,
    factors Array(String), explanation String, scored_at {_UTC}, model String, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY (matter_id, version, model)
"""

ALERTS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alerts (
    alert_id String, matter_id String, version UInt64, level String, risk Float64,
    status String, title String, category Nullable(String), township Nullable(String),
    explanation String, raised_at {_UTC}, updated_at {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY alert_id
"""

ALERT_EVENTS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alert_events (
    event_id String, alert_id String, matter_id String, kind String, level String,
    at {_UTC}, actor String, note String, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY event_id
"""

DEAD_LETTERS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.dead_letters (
    dlq_id String, topic String, reason_en String, reason_zh String,
    errors String, payload String, at {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY dlq_id
"""


@dataclass(frozen=True)
class Migration:
    """One schema step: a version number and the statements that make it."""

    version: int
    note: str
    statements: tuple[str, ...]


# --- Migration 3: alert lifecycle (一案一档), notifications, deliveries -------------------
# (Version 2 is reserved for the risk model's tables.)

# Requests as the API received them; the worker's verdict is in alert_transitions.
ALERT_ACTIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alert_actions (
    action_id String, matter_id String, action String, actor String, at {_UTC}, note String,
    lead_unit String, co_units Array(String), leaders Array(String),
    satisfied Nullable(UInt8), {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY action_id
"""

# Every lifecycle transition, with the deadline it met or missed (KPIs read this table).
ALERT_TRANSITIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alert_transitions (
    event_id String, alert_id String, matter_id String, action String,
    from_status String, to_status String, level String, seq UInt32, step UInt8, actor String,
    at {_UTC}, note String, action_id String, township String, category String,
    lead_unit String, co_units Array(String), leaders Array(String), recipients Array(String),
    satisfied Nullable(UInt8), deadline String, due_at Nullable({_UTC}), on_time UInt8,
    {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY event_id
"""

# The latest lifecycle state per matter: the second copy the worker re-hydrates from.
ALERT_CASES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alert_cases (
    matter_id String, alert_id String, version UInt64, status String, level String,
    title String, category String, township String, risk Float64, step UInt8,
    due_kind String, due_at Nullable({_UTC}), lead_unit String, co_units Array(String),
    leaders Array(String), opened_at {_UTC}, updated_at {_UTC}, state String, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY matter_id
"""

ALERTING_SNAPSHOTS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.alerting_snapshots (
    name String, version UInt64, body String, updated_at {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY name
"""

SILENCES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.silences (
    silence_id String, version UInt64, matter_id String, region String, category String,
    starts_at {_UTC}, ends_at {_UTC}, reason String, created_by String, created_at {_UTC},
    {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY silence_id
"""

# The in-app inbox is this table; items are the grouped notices as JSON.
NOTIFICATIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.notifications (
    notification_id String, recipient String, kind String, created_at {_UTC},
    matter_ids Array(String), items String, body String, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY (recipient, notification_id)
"""

SUPPRESSIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.suppressions (
    notice_id String, recipient String, matter_id String, kind String, level String,
    at {_UTC}, reason String, source String, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY notice_id
"""

# The delivery log; rank 2 (sent) replaces rank 1 (failed) for the same idempotency key.
DELIVERIES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.deliveries (
    delivery_id String, notification_id String, recipient String, channel String,
    status String, attempts UInt32, at {_UTC}, error String, rank UInt8, {_INGESTED}
) ENGINE = ReplacingMergeTree(rank) ORDER BY delivery_id
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "core tables",
        (REPORTS, MATTERS, RISK_SCORES, ALERTS, ALERT_EVENTS, DEAD_LETTERS),
    ),
    Migration(
        3,
        "alert lifecycle, notifications, deliveries",
        (
            ALERT_ACTIONS,
            ALERT_TRANSITIONS,
            ALERT_CASES,
            ALERTING_SNAPSHOTS,
            SILENCES,
            NOTIFICATIONS,
            SUPPRESSIONS,
            DELIVERIES,
        ),
    ),
    Migration(4, "accounts, tokens, enrollment, sessions, audit log", AUTH_STATEMENTS),
)


# --- Migration 5: outcomes of matters (the risk model's labels) -------------------------
OUTCOMES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.outcomes (
    outcome_id String, matter_id String, outcome String, incident_kind String,
    t_incident Nullable({_UTC}), note String, recorded_by String,
    recorded_at {_UTC}, {_INGESTED}
) ENGINE = ReplacingMergeTree() ORDER BY (matter_id, outcome_id)
"""

MIGRATIONS = (*MIGRATIONS, Migration(5, "matter outcomes (risk labels)", (OUTCOMES,)))
TABLES = (*TABLES, "outcomes")

# Migration 6 (warehouse/read_models.py): derived copies kept by materialised views, so
# kept out of TABLES too; READ_TABLES and VIEWS name them.
MIGRATIONS = (*MIGRATIONS, Migration(6, "read models for the dashboard", READ_MODEL_STATEMENTS))

# --- Migration 7: analysts' corrections of the clustering (warehouse/corrections.py) -------
# Version 1 is the API's request, version 2 the worker's verdict; applied ones are
# re-applied by a worker that refolds its state. Arrays, not JSON: 18.16 has no JSON type.
MATTER_CORRECTIONS = f"""
CREATE TABLE IF NOT EXISTS {{db}}.matter_corrections (
    correction_id String, version UInt32, kind String, matter_id String, other String,
    report_id String, reason String, actor String, at {_UTC}, status String, note String,
    as_of Nullable({_UTC}), anchors Array(String), apart Array(String),
    result Array(String), applied_at Nullable({_UTC}), {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY correction_id
"""

MIGRATIONS = (*MIGRATIONS,
              Migration(7, "analysts' clustering corrections", (MATTER_CORRECTIONS,)))  # fmt: skip
TABLES = (*TABLES, "matter_corrections")


# --- Migration 8: closed matters, kept to be revived (warehouse/matter_archive.py) ---------
# The clusterer's compact state of each evicted matter, keyed on the matter id (a matter
# evicted again after a revival replaces its row: higher version), and its candidate keys
# ordered by key, so a look-up reads only the rows of a report's keys.
MATTER_ARCHIVE = f"""
CREATE TABLE IF NOT EXISTS {{db}}.matter_archive (
    matter_id String, version UInt64, township String, county Nullable(String),
    last_seen {_UTC}, aliases Array(String), keys Array(UInt64), state String, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY matter_id
"""
MATTER_ARCHIVE_KEYS = """
CREATE TABLE IF NOT EXISTS {db}.matter_archive_keys (
    key UInt64, township String, matter_id String, version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (key, township, matter_id)
"""
MIGRATIONS = (*MIGRATIONS, Migration(8, "closed matters, to be revived",
                                     (MATTER_ARCHIVE, MATTER_ARCHIVE_KEYS)))  # fmt: skip

# --- Migration 9: the archived states, read by id in small granules ------------------------
# A revival look-up reads a few states by id. With the default 8,192 rows per granule it
# read (and on 18.16 merged for FINAL) the state of every matter in the granule: 95 ms
# per look-up on 18.16 with 3,700 matters archived, made by a quarter of all reports.
# 32 rows per granule reads only the neighbours of the ids asked for. Same columns;
# matter_archive is copied over and kept (18.16 cannot change a table's settings).
MATTER_ARCHIVE_STATES = f"""
CREATE TABLE IF NOT EXISTS {{db}}.matter_archive_states (
    matter_id String, version UInt64, township String, county Nullable(String),
    last_seen {_UTC}, aliases Array(String), keys Array(UInt64), state String, {_INGESTED}
) ENGINE = ReplacingMergeTree(version) ORDER BY matter_id SETTINGS index_granularity = 32
"""
COPY_ARCHIVE_STATES = """
INSERT INTO {db}.matter_archive_states SELECT * FROM {db}.matter_archive
"""
MIGRATIONS = (*MIGRATIONS, Migration(9, "archived states in small granules",
                                     (MATTER_ARCHIVE_STATES, COPY_ARCHIVE_STATES)))  # fmt: skip
# Written by the worker's archive, not from pipeline records: kept out of TABLES.
ARCHIVE_TABLES = ("matter_archive", "matter_archive_keys", "matter_archive_states")


def _sql(statement: str, backend: Backend) -> str:
    # str.replace, not format: statements may one day contain literal braces.
    return statement.replace("{db}", backend.database)


def applied_versions(backend: Backend) -> set[int]:
    """Versions already recorded in ``schema_migrations`` (creating the ledger if needed)."""
    backend.command(_sql(LEDGER, backend))
    rows = backend.query(f"SELECT version FROM {backend.database}.schema_migrations FINAL")
    return {int(r["version"]) for r in rows}


def migrate(backend: Backend, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations not yet applied, in order; returns their versions."""
    done = applied_versions(backend)
    applied: list[int] = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in done:
            continue
        for statement in migration.statements:
            backend.command(_sql(statement, backend))
        # Recorded only after every statement ran, so a failure retries the whole step.
        row = {"version": migration.version, "note": migration.note}
        backend.insert("schema_migrations", [row])
        applied.append(migration.version)
        log.info("warehouse %s: migration %d applied", backend.database, migration.version)
    return applied
