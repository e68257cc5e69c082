"""Every row type survives a write and a read; writing twice leaves one copy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from minqing.records import (
    Accepted,
    Alert,
    AlertEvent,
    Correction,
    DeadLetter,
    Matter,
    MatterUpdate,
    Outcome,
    Report,
    RiskScore,
)
from tests.warehouse.conftest import T0, alerting_records
from warehouse.backend import Backend
from warehouse.corrections import correction_row
from warehouse.migrations import TABLES
from warehouse.outcomes import outcome_row
from warehouse.rows import (
    Row,
    accepted_row,
    alert_event_row,
    alert_row,
    dead_letter_row,
    matter_row,
    report_row,
    risk_row,
    rows_for,
    utc_naive,
)

KEYS = {
    "reports": "report_id",
    "matters": "matter_id",
    "risk_scores": "matter_id",
    "alerts": "alert_id",
    "alert_events": "event_id",
    "dead_letters": "dlq_id",
    "alert_actions": "action_id",
    "alert_transitions": "event_id",
    "alert_cases": "matter_id",
    "alerting_snapshots": "name",
    "silences": "silence_id",
    "notifications": "notification_id",
    "suppressions": "notice_id",
    "deliveries": "delivery_id",
    "outcomes": "outcome_id",
    "matter_corrections": "correction_id",
}


def read_back(backend: Backend, table: str, row: Row) -> Row:
    key = KEYS[table]
    sql = f"SELECT * FROM {backend.database}.{table} FINAL WHERE {key} = %(k)s"
    (found,) = backend.query(sql, {"k": row[key]})
    assert isinstance(found.pop("ingested_at"), datetime)
    # The engines return aware UTC datetimes; rows hold naive UTC.
    return {k: utc_naive(v) if isinstance(v, datetime) else v for k, v in found.items()}


@pytest.fixture
def one_row_per_table(
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
    make_risk: Callable[..., RiskScore],
    make_alert: Callable[..., Alert],
    make_event: Callable[..., AlertEvent],
    make_dead_letter: Callable[..., DeadLetter],
    make_report: Callable[..., Report],
    make_accepted: Callable[..., Accepted],
) -> dict[str, Row]:
    report = make_report(
        people_involved=None, region_code=None, category=None, signals=[], title="引号'\"\\"
    )
    return {
        "reports": report_row(make_update(accepted=make_accepted(report=report))),
        "matters": matter_row(make_matter(category=None, keywords=[], township=None)),
        "risk_scores": risk_row(make_risk(risk=0.1 + 0.2)),
        "alerts": alert_row(make_alert(category=None)),
        "alert_events": alert_event_row(make_event(note="多行\n备注")),
        "dead_letters": dead_letter_row(make_dead_letter(payload='{"a": "\\u0000 \'x\'"}')),
        **{rows_for(r)[0][0]: rows_for(r)[0][1] for r in alerting_records()},
        "outcomes": outcome_row(
            Outcome(
                outcome_id="o-1",
                matter_id="M1",
                outcome="incident",
                incident_kind="gathering",
                t_incident=T0,
                note="现场'聚集'",
                recorded_by="李",
                recorded_at=T0,
            )
        ),
        "matter_corrections": correction_row(
            Correction(
                correction_id="cor-1",
                version=2,
                kind="move_out",
                matter_id="M1",
                report_id="r1",
                reason="不是'同一件'事",
                actor="李",
                at=T0,
                status="applied",
                as_of=T0,
                apart=["r2"],
                result=["M1", "M2"],
                applied_at=T0,
            )
        ),
    }


def test_every_row_type_round_trips(backend: Backend, one_row_per_table: dict[str, Row]) -> None:
    assert set(one_row_per_table) == set(TABLES)
    for table, row in one_row_per_table.items():
        backend.insert(table, [row])
        assert read_back(backend, table, row) == row, table


def test_people_involved_null_and_zero_differ(
    backend: Backend, make_accepted: Callable[..., Accepted], make_report: Callable[..., Report]
) -> None:
    rows = [
        accepted_row(make_accepted(report=make_report(people_involved=None))),
        accepted_row(make_accepted(report=make_report(people_involved=0))),
    ]
    backend.insert("reports", rows)
    assert read_back(backend, "reports", rows[0])["people_involved"] is None
    assert read_back(backend, "reports", rows[1])["people_involved"] == 0


def test_batch_written_twice_leaves_one_copy(
    backend: Backend, one_row_per_table: dict[str, Row]
) -> None:
    for _ in range(2):
        for table, row in one_row_per_table.items():
            backend.insert(table, [row])
    for table in TABLES:
        (row,) = backend.query(f"SELECT count() AS n FROM {backend.database}.{table} FINAL")
        assert row["n"] == 1, table


def test_report_in_matter_replaces_accepted_row(
    backend: Backend,
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
) -> None:
    accepted = make_accepted()
    update = make_update(accepted=accepted)
    # Out of order on purpose: the higher version wins whatever arrives last.
    backend.insert("reports", [report_row(update)])
    backend.insert("reports", [accepted_row(accepted)])
    back = read_back(backend, "reports", accepted_row(accepted))
    assert back["matter_id"] == update.matter.matter_id
    assert back["version"] == update.matter.version + 1
