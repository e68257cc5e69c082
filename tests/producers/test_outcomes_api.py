"""Outcomes are recorded through the API, stored on both engines, and give live accuracy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from producers.outcomes_api import outcomes_router
from tests import authkit
from warehouse import outcomes
from warehouse.backend import Backend
from warehouse.migrations import migrate

USER: dict[str, str] = {}  # the analyst "li"'s token, set by client()
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["chdb", pytest.param("clickhouse", marks=pytest.mark.clickhouse)])
def backend(request: pytest.FixtureRequest, warehouse_backend: Callable[..., Backend]) -> Backend:
    b = warehouse_backend(request.param)
    migrate(b)
    return b


def client(backend: Backend) -> TestClient:
    app = FastAPI()
    app.include_router(outcomes_router(backend))
    authkit.install(app, backend)
    USER.clear()
    USER.update(authkit.headers(backend, "li", "admin"))
    return TestClient(app)


def warn(backend: Backend, matter_id: str, at: datetime, level: str = "orange") -> None:
    row = {"matter_id": matter_id, "version": 1, "report_id": "r", "risk": 0.7, "level": level,
           "factors": [], "explanation": "", "scored_at": at.replace(tzinfo=None),
           "model": "rule-v1"}  # fmt: skip
    backend.insert("risk_scores", [row])


def test_incident_needs_its_time(backend: Backend) -> None:
    resp = client(backend).post("/api/v1/matters/M1/outcome", json={"outcome": "incident"},
                                headers=USER)  # fmt: skip
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "t_incident"


def test_recorded_outcome_is_read_back_latest_first(backend: Backend) -> None:
    c = client(backend)
    assert c.get("/api/v1/matters/M2/outcome", headers=USER).status_code == 404
    first = {"outcome": "nothing", "note": "first look"}
    assert c.post("/api/v1/matters/M2/outcome", json=first, headers=USER).status_code == 201
    later = {"outcome": "incident", "incident_kind": "gathering",
             "t_incident": (T0 + timedelta(days=2)).isoformat()}  # fmt: skip
    assert c.post("/api/v1/matters/M2/outcome", json=later, headers=USER).status_code == 201
    got = c.get("/api/v1/matters/M2/outcome", headers=USER).json()
    assert got["outcome"] == "incident" and got["recorded_by"] == "li"


def test_outcome_needs_an_acting_user(backend: Backend) -> None:
    resp = client(backend).post("/api/v1/matters/M3/outcome", json={"outcome": "resolved"})
    assert resp.status_code == 401


def test_live_accuracy_equals_hand_computed(backend: Backend) -> None:
    c = client(backend)
    warn(backend, "A", T0)  # warned 48 h ahead, incident: a hit
    warn(backend, "B", T0, "red")  # warned, nothing happened: a false alert
    # C: an incident with no warning (a miss)
    for mid, body in {
        "A": {"outcome": "incident", "t_incident": (T0 + timedelta(hours=48)).isoformat()},
        "B": {"outcome": "nothing"},
        "C": {"outcome": "incident", "t_incident": (T0 + timedelta(hours=5)).isoformat()},
    }.items():
        assert c.post(f"/api/v1/matters/{mid}/outcome", json=body, headers=USER).status_code == 201
    months = c.get("/api/v1/risk/accuracy", headers=USER).json()["months"]
    may = next(m for m in months if m["month"] == "2026-05")
    assert may["warnings_with_outcome"] == 1  # B is recorded now (November), not in May
    assert may["precision"] == 1.0 and may["incidents"] == 2 and may["recall"] == 0.5
    assert may["median_lead_hours"] == 48.0
    assert sum(m["warnings_with_outcome"] for m in months) == 2


def test_latest_outcomes_dedupes_rewrites(backend: Backend) -> None:
    c = client(backend)
    c.post("/api/v1/matters/D/outcome", json={"outcome": "resolved"}, headers=USER)
    rows = outcomes.latest_outcomes(backend)
    assert [r["matter_id"] for r in rows].count("D") == 1
