"""Training data from the warehouse: reports as the live pipeline grouped them, labelled by the
outcomes analysts recorded through the API (``POST /api/v1/matters/{id}/outcome``).

The live grouping is the one analysts judged, so it stands as the truth here: every
report is replayed in its recorded matter, and a matter's updates are labelled by
its latest recorded outcome. Matters without an outcome are replayed (their reports
still shape other matters' features) but not learnt from: no record is not "nothing".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from minqing.errors import ModelError
from minqing.records import Report
from models.lenient import coerce_report
from models.risk_data import Outcome, outcomes_from_records
from warehouse import outcomes as wh
from warehouse.backend import Backend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    """Reports in time order, each report's recorded matter, and the matters' outcomes."""

    reports: list[Report]
    matter_of: dict[str, str]
    outcomes: dict[str, Outcome]


def _aware(at: Any) -> Any:
    """The warehouse keeps UTC without a zone; records need one."""
    return at.replace(tzinfo=UTC) if isinstance(at, datetime) and at.tzinfo is None else at


def _report(row: dict[str, Any]) -> Report:
    raw = {k: v for k, v in row.items() if k != "matter_id" and v is not None}
    raw["received_at"] = _aware(row["received_at"])
    return coerce_report(raw)[0]


def _outcome_record(row: dict[str, Any]) -> dict[str, Any]:
    at = _aware(row.get("t_incident"))
    return {"matter_id": row["matter_id"], "outcome": row["outcome"],
            "t_incident": at.isoformat() if isinstance(at, datetime) else None}  # fmt: skip


def recorded(backend: Backend, since: datetime | None = None) -> Recorded:
    """The warehouse's reports and recorded outcomes; ModelError when nothing is labelled."""
    rows = wh.matter_reports(backend, since)
    labels = outcomes_from_records(_outcome_record(r) for r in wh.latest_outcomes(backend))
    matter_of = {str(r["report_id"]): str(r["matter_id"]) for r in rows}
    known = set(matter_of.values()) & set(labels)
    if not known:
        raise ModelError("no recorded outcome matches a matter in the warehouse / "
                         "数据仓库中没有已登记结果的事项，无法训练")  # fmt: skip
    log.info("warehouse: %d reports, %d matters with an outcome", len(rows), len(known))
    return Recorded([_report(r) for r in rows], matter_of, labels)
