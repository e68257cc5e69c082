"""The UI's warehouse queries on both engines: chdb 26 and Debian's ClickHouse 18.16."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.web.seed import FENGQIAO, PAITOU, seed
from warehouse.backend import Backend
from warehouse.migrations import migrate
from web.queries import AlertFilter, UiQueries

NOW = datetime.now(UTC).replace(microsecond=0)
BACKENDS = ["chdb", pytest.param("clickhouse", marks=pytest.mark.clickhouse)]


@pytest.fixture(params=BACKENDS)
def q(request: pytest.FixtureRequest, warehouse_backend: Callable[..., Backend]) -> UiQueries:
    backend = warehouse_backend(request.param)
    migrate(backend)
    seed(backend, NOW)
    seed(backend, NOW)  # written twice: every query must still count once
    return UiQueries(backend, "Asia/Shanghai")


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["alert_id"] for r in rows]


def test_alert_filters(q: UiQueries) -> None:
    assert ids(q.alerts(AlertFilter())) == ["AM-red", "AM-done", "AM-yel"]
    assert ids(q.alerts(AlertFilter(township=PAITOU))) == ["AM-done", "AM-yel"]
    assert ids(q.alerts(AlertFilter(min_level="orange"))) == ["AM-red", "AM-done"]
    assert ids(q.alerts(AlertFilter(status="open"))) == ["AM-red", "AM-yel"]
    assert ids(q.alerts(AlertFilter(status="resolved", category="demolition"))) == ["AM-done"]
    assert ids(q.alerts(AlertFilter(limit=1))) == ["AM-red"]


def test_latest_matter_versions(q: UiQueries) -> None:
    rows = q.matters()
    assert sorted(r["matter_id"] for r in rows) == ["M-done", "M-red", "M-yel"]
    assert {r["matter_id"]: r["n_reports"] for r in rows}["M-red"] == 2
    assert [r["matter_id"] for r in q.matters(township=FENGQIAO)] == ["M-red"]


def test_trends_count_each_report_once(q: UiQueries) -> None:
    t = q.trends(7, NOW)
    assert sum(r["n"] for r in t["reports_by_category"]) == 4
    assert {r["key"] for r in t["reports_by_township"]} == {FENGQIAO, PAITOU}
    assert sum(r["n"] for r in t["alerts_by_level"]) == 3
    assert sum(r["n"] for r in t["new_matters"]) == 3
    assert all(len(r["day"]) == 10 for r in t["reports_by_category"])


def test_counts_and_action_times(q: UiQueries) -> None:
    counts = q.report_counts(NOW)
    assert (counts["day"], counts["week"], counts["month"]) == (4, 4, 4)
    assert counts["collective"] == 3  # the first report of each matter
    assert q.matter_counts(NOW.replace(year=NOW.year - 1)) == {"active": 3, "new": 3}
    actions = q.action_times()
    assert set(actions) == {"AM-done"}
    assert actions["AM-done"]["first_action"] < actions["AM-done"]["done_at"]
