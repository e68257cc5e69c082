"""Live accuracy by month is scoped: a township analyst sees only their townships' matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from minqing.records import Matter
from producers.outcomes_api import outcomes_router
from tests import authkit
from warehouse import outcomes
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.rows import matter_row
from warehouse.scope import ScopeFilter

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
HERE, THERE = authkit.FENGQIAO, authkit.PAITOU


def seed(backend: Backend) -> TestClient:
    """A (here) warned 48 h ahead of its incident; B (there) warned, nothing happened."""
    migrate(backend)
    for mid, town in (("A", HERE), ("B", THERE)):
        m = Matter(matter_id=mid, version=1, title="t", category=None, township=town,
                   county=authkit.COUNTY, n_reports=1, n_informants=1, n_villages=1,
                   people_max=0, signals=[], first_seen=T0, last_seen=T0)  # fmt: skip
        backend.insert("matters", [matter_row(m)])
        backend.insert("risk_scores", [{
            "matter_id": mid, "version": 1, "report_id": "r", "risk": 0.7, "level": "orange",
            "factors": [], "explanation": "", "scored_at": T0.replace(tzinfo=None),
            "model": "rule-v1"}])  # fmt: skip
    app = FastAPI()
    app.include_router(outcomes_router(backend))
    authkit.install(app, backend)
    c = TestClient(app)
    admin = authkit.headers(backend, "li", "admin")
    for mid, body in {"A": {"outcome": "incident",
                            "t_incident": (T0 + timedelta(hours=48)).isoformat()},
                      "B": {"outcome": "nothing"}}.items():  # fmt: skip
        assert c.post(f"/api/v1/matters/{mid}/outcome", json=body, headers=admin).status_code == 201
    return c


def warned(months: list[dict]) -> int:
    return sum(m["warnings_with_outcome"] for m in months)


def test_accuracy_counts_only_the_callers(warehouse_backend: Callable[..., Backend]) -> None:
    backend = warehouse_backend("chdb")
    c = seed(backend)
    admin = authkit.headers(backend, "li", "admin")
    here = authkit.headers(backend, "wang", "analyst", regions=(HERE,))
    elsewhere = authkit.headers(backend, "zhao", "analyst", regions=("330681199",))
    assert warned(c.get("/api/v1/risk/accuracy", headers=admin).json()["months"]) == 2
    mine = c.get("/api/v1/risk/accuracy", headers=here).json()["months"]
    assert warned(mine) == 1 and mine[0]["precision"] == 1.0  # B's false alert is not theirs
    assert c.get("/api/v1/risk/accuracy", headers=elsewhere).json()["months"] == []
    assert warned(outcomes.live_accuracy(backend, ScopeFilter(regions=(THERE,)))) == 1
    assert warned(outcomes.live_accuracy(backend, ScopeFilter())) == 0
