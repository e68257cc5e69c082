"""Sign-in, session cookies, CSRF, token and enrollment revocation, argon2."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from producers.auth.passwords import hash_password, verify_password
from producers.auth.store import utc_now
from tests.auth.conftest import World
from tests.authkit import bearer

PASSWORD = "test-password-1"  # tests/authkit.py's accounts
ACK = "/api/v1/matters/M-red/alert/acknowledge"


def signed_in(world: World, username: str = "analyst_a") -> tuple[TestClient, str]:
    """A fresh browser-like client with a session; returns it and its CSRF token."""
    c = TestClient(world.app)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf"]


def test_sign_in_sets_a_hardened_session_cookie(world: World) -> None:
    c = TestClient(world.app)
    r = c.post("/api/v1/auth/login", json={"username": "analyst_a", "password": PASSWORD})
    cookies = r.headers.get_list("set-cookie")
    session = next(x for x in cookies if x.startswith("mq_session="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower() and "Path=/" in session
    csrf = next(x for x in cookies if x.startswith("mq_csrf="))
    assert "HttpOnly" not in csrf  # the page reads it to echo it
    me = c.get("/api/v1/auth/me").json()
    assert (me["name"], me["role"], me["via"], me["regions"]) == (
        "analyst_a", "analyst", "session", ["330681109"])  # fmt: skip
    assert "password" not in r.text and "hash" not in r.text


def test_wrong_password_and_unknown_user_look_the_same(world: World) -> None:
    c = TestClient(world.app)
    wrong = c.post("/api/v1/auth/login", json={"username": "analyst_a", "password": "nope"})
    unknown = c.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["message_zh"] == "用户名或密码错误"
    assert "mq_session" not in c.cookies


def test_login_is_json_only(world: World) -> None:
    form = TestClient(world.app).post(
        "/api/v1/auth/login", data={"username": "analyst_a", "password": PASSWORD}
    )
    assert form.status_code == 422  # a cross-site HTML form cannot sign anyone in


def test_unsafe_cookie_requests_need_the_csrf_token(world: World) -> None:
    c, csrf = signed_in(world)
    assert c.post(ACK, json={"note": "x"}).status_code == 403
    bad = c.post(ACK, json={"note": "x"}, headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 403 and bad.json()["message_zh"] == "缺少或错误的 CSRF 令牌"
    ok = c.post(ACK, json={"note": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code in (202, 409)
    assert c.get("/api/v1/alerts/feed").status_code == 200  # safe methods need none


def test_csrf_token_of_another_session_is_refused(world: World) -> None:
    c1, _ = signed_in(world)
    _, csrf2 = signed_in(world)
    c1.cookies.set("mq_csrf", csrf2)  # an attacker who can plant a cookie and knows its value
    r = c1.post(ACK, json={"note": "x"}, headers={"X-CSRF-Token": csrf2})
    assert r.status_code == 403


def test_bearer_tokens_need_no_csrf(world: World) -> None:
    r = world.client.post(ACK, json={"note": "x"}, headers=world.as_("analyst"))
    assert r.status_code in (202, 409)


def test_sign_out_ends_the_session_everywhere(world: World) -> None:
    c, csrf = signed_in(world)
    stolen = dict(c.cookies)
    assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    replay = TestClient(world.app, cookies=stolen)
    assert replay.get("/api/v1/auth/me").status_code == 401
    assert replay.get("/api/v1/alerts/feed").status_code == 401


def test_forged_or_tampered_cookies_are_no_session(world: World) -> None:
    c, _ = signed_in(world)
    value = c.cookies["mq_session"]
    for fake in (value[:-2] + "xx", "not-a-cookie", ""):
        t = TestClient(world.app, cookies={"mq_session": fake})
        assert t.get("/api/v1/alerts/feed").status_code == 401
        assert t.get("/analyst", follow_redirects=False).status_code == 303


def test_malformed_and_unknown_bearer_tokens_are_401(world: World) -> None:
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer mqs_unknown", "Bearer x y"):
        r = world.client.get("/api/v1/alerts", headers={"Authorization": header})
        assert r.status_code == 401 and r.json()["message_zh"], header
        assert r.headers["www-authenticate"] == "Bearer"


def test_revoked_tokens_and_disabled_accounts_stop_at_once(world: World) -> None:
    admin = world.as_("admin")
    made = world.client.post("/api/v1/admin/users", headers=admin, json={
        "username": "temp_analyst", "role": "analyst", "regions": ["330681109"]})  # fmt: skip
    assert made.status_code == 201 and len(made.json()["password"]) >= 16
    issued = world.client.post("/api/v1/admin/users/temp_analyst/tokens", json={}, headers=admin)
    tok, tok_id = issued.json()["token"], issued.json()["token_id"]
    assert world.client.get("/api/v1/alerts", headers=bearer(tok)).status_code == 200
    assert world.client.post(f"/api/v1/admin/tokens/{tok_id}/revoke", headers=admin
                             ).status_code == 200  # fmt: skip
    assert world.client.get("/api/v1/alerts", headers=bearer(tok)).status_code == 401
    second = world.client.post("/api/v1/admin/users/temp_analyst/tokens", json={}, headers=admin)
    tok2 = second.json()["token"]
    assert world.client.post("/api/v1/admin/users/temp_analyst/disable", headers=admin
                             ).status_code == 200  # fmt: skip
    assert world.client.get("/api/v1/alerts", headers=bearer(tok2)).status_code == 401
    dup = world.client.post("/api/v1/admin/users", headers=admin, json={
        "username": "temp_analyst", "role": "admin"})  # fmt: skip
    assert dup.status_code == 409


def test_tokens_are_stored_hashed_only(world: World) -> None:
    db = world.backend.database
    for table, column in (
        ("api_tokens", "token_hash"),
        ("devices", "token_hash"),
        ("informant_enrollments", "code_hash"),
        ("sessions", "session_hash"),
    ):
        rows = world.backend.query(f"SELECT {column} AS h FROM {db}.{table}")
        assert rows and all(len(r["h"]) == 64 for r in rows), table
    token = world.as_("admin")["Authorization"].split()[1]
    hits = world.backend.query(f"SELECT count() AS n FROM {db}.api_tokens WHERE token_hash = "
                               "%(t)s", {"t": token})  # fmt: skip
    assert hits[0]["n"] == 0
    users = world.backend.query(f"SELECT password_hash FROM {db}.users")
    assert all(u["password_hash"].startswith("$argon2id$") for u in users)


def test_enrollment_code_buys_one_device_and_revocation_ends_it(world: World) -> None:
    admin = world.as_("admin")
    issued = world.client.post("/api/v1/admin/enrollments", json={"note": "村口"}, headers=admin)
    code = issued.json()["code"]
    typed = code.lower().replace("-", " ")  # read over the phone
    got = world.client.post("/api/v1/enroll", json={"code": typed})
    assert got.status_code == 201 and got.json()["informant_id"].startswith("inf-")
    again = world.client.post("/api/v1/enroll", json={"code": code})
    assert again.status_code == 403 and again.json()["message_zh"].startswith("登记码无效")
    device = bearer(got.json()["device_token"])
    body = {"informant_id": "张三 13812345678", "title": "排污", "content": "化工厂排污"}
    sent = world.client.post("/api/v1/reports", json=body, headers=device)
    assert sent.status_code == 201
    [(_, payload)] = [p for p in world.outbox.due(0) if p[0] == sent.json()["report_id"]]
    assert got.json()["informant_id"].encode() in payload and b"13812345678" not in payload
    receipt = sent.json()["receipt"]
    assert world.client.get(f"/api/v1/reports/{receipt}", headers=device).status_code == 200
    enrollment = issued.json()["enrollment_id"]
    world.client.post(f"/api/v1/admin/enrollments/{enrollment}/revoke", headers=admin)
    assert world.client.post("/api/v1/reports", json=body, headers=device).status_code == 401


def test_expired_codes_are_refused(fresh_world: Callable[..., World]) -> None:
    w = fresh_world(enrollment_days=1)
    code = w.client.post("/api/v1/admin/enrollments", json={}, headers=w.as_("admin")).json()
    # A controllable clock: wall-clock sleeps made this flaky on slow CI machines.
    w.auth.enrollments.now = lambda: utc_now() + timedelta(days=1, seconds=1)
    assert w.client.post("/api/v1/enroll", json={"code": code["code"]}).status_code == 403
    w.auth.enrollments.now = utc_now


@pytest.mark.parametrize("password", ["correct horse battery", "密码-中文-12345", "x" * 200])
def test_argon2_hashes_verify_and_refuse(password: str) -> None:
    stored = hash_password(password)
    assert stored.startswith("$argon2id$") and password not in stored
    assert verify_password(stored, password)
    assert not verify_password(stored, password + "!")
    assert not verify_password(None, password)  # no such account
    assert not verify_password("not-a-hash", password)
    assert hash_password(password) != stored  # salted
