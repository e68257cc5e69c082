"""The offices' KPIs from the lifecycle transitions, per region or unit, over any period.

A matter counts in the period its alert was raised in. Per matter (from
``alert_transitions``):

* acknowledged on time: its first acknowledge/assign met the acknowledge deadline;
* resolved on time (按期办结率 = on time / resolved): its first resolve met its deadline;
* resolution rate (化解率 = settled / raised): its latest status is resolved,
  followed up or closed;
* satisfaction (满意率 = satisfied / follow-ups): over every follow-up visit;
* repeat rate (= reopened / resolved): it came back after it was resolved;
* collective incidents: its matter carried a collective signal (集体访, gathering,
  blocking roads);
* time to first action: raise to the first acknowledge/assign/start/resolve by a person.

A matter merged into another (its alert closed by a ``merge`` transition) is
left out: its alert was the other matter's, which counts.

Rates are None when their denominator is 0. ``by`` is "region" (township code),
"unit" (lead unit) or "all".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minqing.errors import WarehouseError
from warehouse.backend import Backend
from warehouse.rows import utc_naive
from warehouse.scope import ScopeFilter
from warehouse.scope import where as scope_where

COLLECTIVE = ("collective_petition", "gathering", "blocking")
DIMENSIONS = {"region": "m_township", "unit": "m_unit", "all": "''"}
ACTED = "actor != 'system' AND action IN ('acknowledge', 'assign', 'start', 'resolve')"

PER_MATTER = """
SELECT matter_id,
    argMax(township, at) AS m_township,
    argMaxIf(lead_unit, at, lead_unit != '') AS m_unit,
    minIf(at, action = 'raise') AS m_raised_at,
    countIf(deadline = 'ack') > 0 AS m_acked,
    argMinIf(on_time, at, deadline = 'ack') AS m_ack_on_time,
    countIf(action = 'resolve') > 0 AS m_resolved,
    argMinIf(on_time, at, deadline = 'resolve') AS m_resolved_on_time,
    argMaxIf(to_status, seq, action != 'level') IN ('resolved', 'followed_up', 'closed')
        AS m_settled,
    countIf(action = 'follow_up') AS m_follow_ups,
    countIf(action = 'follow_up' AND ifNull(satisfied, 0) = 1) AS m_satisfied,
    countIf(action = 'reopen') > 0 AS m_reopened,
    countIf({acted}) > 0 AS m_acted,
    minIf(at, {acted}) AS m_first_action_at,
    matter_id IN (SELECT matter_id FROM {db}.matters WHERE hasAny(signals, {collective}))
        AS m_collective
FROM {db}.alert_transitions FINAL
WHERE action != 'reject' AND {scope}
GROUP BY matter_id
HAVING countIf(action = 'merge') = 0
"""

# Per-matter columns are prefixed: an outer alias equal to an inner name would shadow it.
TOTALS = """
SELECT {key} AS key, count() AS raised, sum(m_acked) AS acknowledged,
    sum(m_ack_on_time * m_acked) AS ack_on_time, sum(m_resolved) AS resolved,
    sum(m_resolved_on_time * m_resolved) AS resolved_on_time, sum(m_settled) AS settled,
    sum(m_follow_ups) AS follow_ups, sum(m_satisfied) AS satisfied,
    sum(m_reopened) AS reopened, sum(m_collective) AS collective, sum(m_acted) AS acted,
    sum(if(m_acted, toInt64(toUInt32(m_first_action_at)) - toInt64(toUInt32(m_raised_at)), 0))
        AS seconds_to_action
FROM ({per_matter})
WHERE m_raised_at >= %(start)s AND m_raised_at < %(end)s
GROUP BY key ORDER BY key
"""


def _rate(num: int, den: int) -> float | None:
    """A share rounded to 4 places; None without a denominator.

    >>> _rate(2, 3), _rate(0, 0)
    (0.6667, None)
    """
    return round(num / den, 4) if den else None


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    counts = {k: int(v) for k, v in row.items() if k != "key"}
    seconds = counts.pop("seconds_to_action")
    minutes = round(seconds / counts["acted"] / 60, 2) if counts["acted"] else None
    return {
        "key": row["key"],
        **counts,
        "ack_on_time_rate": _rate(counts["ack_on_time"], counts["raised"]),
        "on_time_resolution_rate": _rate(counts["resolved_on_time"], counts["resolved"]),
        "resolution_rate": _rate(counts["settled"], counts["raised"]),
        "satisfaction_rate": _rate(counts["satisfied"], counts["follow_ups"]),
        "repeat_rate": _rate(counts["reopened"], counts["resolved"]),
        "avg_minutes_to_first_action": minutes,
    }


def kpis(
    backend: Backend,
    start: datetime,
    end: datetime,
    by: str = "region",
    scope: ScopeFilter | None = None,
) -> list[dict[str, Any]]:
    """Figures per region / unit (one row for "all") for alerts raised in [start, end).

    Only matters in ``scope`` count (None: every matter).
    """
    if by not in DIMENSIONS:
        raise WarehouseError(f"unknown KPI dimension {by!r}; one of {sorted(DIMENSIONS)}")
    db = backend.database
    collective = "[" + ", ".join(f"'{s}'" for s in COLLECTIVE) + "]"
    in_scope, params = scope_where(scope, db, "alert_transitions")
    per_matter = PER_MATTER.format(db=db, acted=ACTED, collective=collective, scope=in_scope)
    sql = TOTALS.format(key=DIMENSIONS[by], per_matter=per_matter)
    rows = backend.query(sql, {**params, "start": utc_naive(start), "end": utc_naive(end)})
    return [_figures(r) for r in rows]
