"""Region scope: nobody reads or acts on another region's matters, and lists leave them out.

An analyst of township A (枫桥镇) against township B (牌头镇): a matter of B answers
404, exactly like a matter that does not exist; lists, figures and exports hold
only A. The same for a unit (its assigned matters) and a leader (liaison areas).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.auth.conftest import NOW, World
from tests.authkit import FENGQIAO, PAITOU

OUT_OF_SCOPE = "M-yel"  # 牌头镇, unit paitou_centre
MISSING = "M-nowhere"
A_ONLY = {"AM-red"}


def test_a_matter_of_another_township_looks_missing(world: World) -> None:
    a = world.as_("analyst")
    for path in ("/api/v1/matters/{}", "/api/v1/matters/{}/file", "/api/v1/matters/{}/outcome"):
        other = world.client.get(path.format(OUT_OF_SCOPE), headers=a)
        missing = world.client.get(path.format(MISSING), headers=a)
        assert other.status_code == missing.status_code == 404, path
        assert other.json() == missing.json(), path
    assert world.client.get(f"/api/v1/matters/{OUT_OF_SCOPE}", headers=world.as_("analyst_b")
                            ).status_code == 200  # fmt: skip


@pytest.mark.parametrize("action", ["acknowledge", "start", "resolve"])
def test_no_action_on_another_townships_matter(world: World, action: str) -> None:
    for role in ("analyst", "unit_handler"):
        r = world.client.post(f"/api/v1/matters/{OUT_OF_SCOPE}/alert/{action}",
                              json={"note": "越权"}, headers=world.as_(role))  # fmt: skip
        assert r.status_code == 404, (role, r.text)


def test_lists_and_figures_hold_only_the_callers_region(world: World) -> None:
    for role in ("analyst", "unit_handler", "leader"):
        h = world.as_(role)
        feed = world.client.get("/api/v1/alerts/feed", headers=h).json()["items"]
        assert {a["alert_id"] for a in feed} == A_ONLY, role
        listed = world.client.get("/api/v1/alerts", headers=h).json()["items"]
        assert {a["alert_id"] for a in listed} == A_ONLY, role
        towns = {t["code"]: t for t in world.client.get("/api/v1/townships", headers=h).json()[
            "items"]}  # fmt: skip
        assert towns[PAITOU]["open_alerts"] == 0 and towns[FENGQIAO]["open_alerts"] == 1, role
    admin = world.client.get("/api/v1/alerts/feed", headers=world.as_("admin")).json()["items"]
    assert {a["alert_id"] for a in admin} == {"AM-red", "AM-yel", "AM-done"}


def test_trends_overview_and_kpis_count_only_the_region(world: World) -> None:
    a, admin = world.as_("analyst"), world.as_("admin")
    mine = world.client.get("/api/v1/trends", params={"days": 3}, headers=a).json()
    every = world.client.get("/api/v1/trends", params={"days": 3}, headers=admin).json()
    total = lambda t: sum(sum(v) for v in t["series"]["reports_by_category"].values())  # noqa: E731
    assert (total(mine), total(every)) == (2, 4)
    assert world.client.get("/api/v1/overview", headers=a).json()["reports"]["day"] == 2
    window = {"start": (NOW - timedelta(days=1)).isoformat(), "end": NOW.isoformat()}
    items = world.client.get("/api/v1/kpis", params={**window, "by": "region"}, headers=a)
    assert {i["key"] for i in items.json()["items"]} <= {FENGQIAO}


def test_exports_hold_only_the_region(world: World) -> None:
    a = world.as_("analyst")
    rows = _csv(world.client.get("/api/v1/export/alerts.csv", headers=a).content)
    assert [r[0] for r in rows[1:]] == ["AM-red"]
    other = world.client.get("/api/v1/export/reports.csv",
                             params={"matter_id": OUT_OF_SCOPE}, headers=a)  # fmt: skip
    assert len(_csv(other.content)) == 1  # the header only
    mine = world.client.get("/api/v1/export/reports.csv", params={"matter_id": "M-red"}, headers=a)
    assert len(_csv(mine.content)) == 3


def test_inbox_digest_and_receipts_are_their_owners(world: World) -> None:
    unit, leader = world.as_("unit_handler"), world.as_("leader")
    assert world.client.get("/api/v1/inbox/fengqiao_centre", headers=unit).status_code == 200
    assert world.client.get("/api/v1/inbox/paitou_centre", headers=unit).status_code == 404
    assert world.client.get("/api/v1/leaders/leader_chen/digest", headers=leader).status_code == 200
    assert world.client.get("/api/v1/leaders/leader_zhou/digest", headers=leader
                            ).status_code == 404  # fmt: skip
    # A seeded report belongs to another informant: this device cannot see its receipt.
    inf = world.as_("informant")
    assert world.client.get("/api/v1/reports/RCPTM-red0", headers=inf).status_code == 404
    assert world.client.get("/api/v1/reports/RCPTM-red0", headers=world.as_("admin")
                            ).status_code == 200  # fmt: skip


def test_silences_stay_inside_the_callers_region(world: World) -> None:
    a = world.as_("analyst")
    body = {"reason": "现场已处置", "hours": 1}
    assert world.client.post("/api/v1/silences", json={**body, "region": PAITOU}, headers=a
                             ).status_code == 403  # fmt: skip
    assert world.client.post("/api/v1/silences", json={**body, "category": "environment"},
                             headers=a).status_code == 403  # fmt: skip
    assert world.client.post("/api/v1/silences", json={**body, "matter_id": OUT_OF_SCOPE},
                             headers=a).status_code == 404  # fmt: skip
    mine = world.client.post("/api/v1/silences", json={**body, "region": FENGQIAO}, headers=a)
    assert mine.status_code == 201
    theirs = world.client.get("/api/v1/silences", headers=world.as_("analyst_b")).json()["items"]
    assert mine.json()["silence_id"] not in {s["silence_id"] for s in theirs}
    expire = f"/api/v1/silences/{mine.json()['silence_id']}/expire"
    assert world.client.post(expire, headers=world.as_("analyst_b")).status_code == 404


def test_a_county_analyst_sees_both_townships(world: World) -> None:
    feed = world.client.get("/api/v1/alerts/feed", headers=world.as_("county")).json()["items"]
    assert {a["alert_id"] for a in feed} == {"AM-red", "AM-yel", "AM-done"}


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
