"""The scope SQL and the account tables on both engines (ClickHouse 18.16 and chdb 26).

The same seeded warehouse as the app tests; each query function is asked with a
township's, a unit's and a leader's grants and must return only their matters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from producers.auth.audit import AuditLog
from producers.auth.enrollment import Enrollments
from producers.auth.models import Principal
from producers.auth.store import AuthStore
from tests.auth.conftest import NOW, UNIT_A, seed_cases
from tests.authkit import FENGQIAO, PAITOU
from tests.warehouse.conftest import BACKENDS
from tests.web.seed import seed
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.kpis import kpis
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.scope import ScopeFilter, visible_matter
from web.queries import AlertFilter, UiQueries

TOWN_A = ScopeFilter(regions=(FENGQIAO,))
UNIT = ScopeFilter(units=(UNIT_A,))
CASES = ScopeFilter(matters=("M-done",))
NOTHING = ScopeFilter()


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, warehouse_backend: Callable[..., Backend]) -> Backend:
    backend = warehouse_backend(request.param)
    migrate(backend)
    seed(backend, NOW)
    seed_cases(backend)
    return backend


def test_matter_visibility(seeded: Backend) -> None:
    expect = {TOWN_A: {"M-red"}, UNIT: {"M-red"}, CASES: {"M-done"}, NOTHING: set()}
    for scope, visible in expect.items():
        got = {m for m in ("M-red", "M-yel", "M-done", "M-x") if visible_matter(seeded, m, scope)}
        assert got == visible, scope
    assert visible_matter(seeded, "M-yel", ScopeFilter(regions=("330681",)))
    assert visible_matter(seeded, "M-x", None)  # unrestricted: existence is the caller's check


def test_every_query_function_filters(seeded: Backend) -> None:
    q, ui, aq = Queries(seeded), UiQueries(seeded), AlertQueries(seeded)
    for scope, alerts in ((TOWN_A, {"AM-red"}), (UNIT, {"AM-red"}), (CASES, {"AM-done"}),
                          (NOTHING, set()), (None, {"AM-red", "AM-yel", "AM-done"})):  # fmt: skip
        assert {a["alert_id"] for a in q.list_alerts(scope=scope)} == alerts, scope
        assert {a["alert_id"] for a in ui.alerts(AlertFilter(), scope)} == alerts, scope
        matters = {m["matter_id"] for m in ui.matters(scope=scope)}
        assert matters == {a[1:] for a in alerts}, scope
        assert (q.get_matter("M-red", scope) is not None) == ("AM-red" in alerts)
        assert (aq.case("M-yel", scope) is not None) == (scope is None)
        ui.trends(3, NOW, scope)
        ui.report_counts(NOW, scope)
        ui.matter_counts(NOW - timedelta(days=14), scope)
        ui.action_times(scope)
        aq.silences(NOW, scope)
        aq.area_cases([FENGQIAO, PAITOU], NOW, 5, scope)
        kpis(seeded, NOW - timedelta(days=1), NOW, "unit", scope)
    towns = ui.daily("reports", "ifNull(township, '')", "received_at", NOW - timedelta(days=1),
                     TOWN_A)  # fmt: skip
    assert {r["key"] for r in towns} == {FENGQIAO}


def test_account_tables_round_trip(seeded: Backend) -> None:
    store, enrollments, audit = AuthStore(seeded), Enrollments(seeded), AuditLog(seeded)
    user = store.create_user("wang", "analyst", "pw-1234567890", regions=(FENGQIAO,))
    token_id, token = store.issue_token(user, "t", days=1)
    assert store.token_user(token) == user
    store.revoke_token(token_id)
    assert store.token_user(token) is None
    store.open_session(user, "sid-1", 1)
    assert store.session_user("sid-1") == user
    store.close_session("sid-1")
    assert store.session_user("sid-1") is None
    code = enrollments.issue("admin", 1.0, FENGQIAO)
    device = enrollments.redeem(code["code"])
    assert device is not None and enrollments.device(device["device_token"]) is not None
    assert enrollments.redeem(code["code"]) is None
    enrollments.revoke(code["enrollment_id"])
    assert enrollments.device(device["device_token"]) is None
    audit.record(Principal(role="analyst", name="wang"), "view_matter", "M-red", q={"a": "引号'"})
    assert audit.search(action="view_") == []  # a prefix only when it ends in ':'
    [row] = audit.search(actor="wang", action="view_matter")
    assert row["detail"] == {"q": {"a": "引号'"}} and row["target"] == "M-red"
