"""Rate limits per IP, per informant and per sign-in name; IPs stay in memory, blinded."""

from __future__ import annotations

from collections.abc import Callable

from producers.auth.ratelimit import RateLimiter
from tests.auth.conftest import World

REPORT = {"title": "排污", "content": "化工厂夜间排污"}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_refills_and_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)
    assert limiter.check("a") == 0.0 and limiter.check("a") == 0.0
    wait = limiter.check("a")
    assert 9.9 < wait <= 10.0  # one token per 10 s
    assert limiter.check("b") == 0.0  # another key has its own bucket
    clock.t += 10
    assert limiter.check("a") == 0.0


def test_full_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, clock=clock)
    for i in range(1500):
        limiter.check(f"10.0.{i // 250}.{i % 250}")
    clock.t += 3600
    limiter.check("x")
    for _ in range(999):
        limiter.check("x")
    assert len(limiter) <= 1  # the 1,500 addresses are gone once their buckets refilled


def test_addresses_are_never_held_in_clear() -> None:
    limiter = RateLimiter(per_minute=60)
    limiter.check("ip:203.0.113.7")
    assert "203.0.113.7" not in repr(limiter._buckets)


def test_anonymous_submissions_are_limited_per_address(fresh_world: Callable[..., World]) -> None:
    w = fresh_world(rate_ip_per_minute=3)
    codes = [w.client.post("/api/v1/reports", json={**REPORT, "informant_id": f"i{n}"})
             for n in range(4)]  # fmt: skip
    assert [c.status_code for c in codes] == [201, 201, 201, 429]
    refused = codes[-1]
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.json()
    assert "请求过于频繁" in body["message_zh"] and "retry" in body["message_en"]
    # Staff taking reports by phone or importing a file are not held to it.
    assert w.client.post("/api/v1/reports", json={**REPORT, "informant_id": "x"},
                         headers=w.as_("analyst")).status_code == 201  # fmt: skip


def test_one_informant_is_limited_across_addresses(fresh_world: Callable[..., World]) -> None:
    w = fresh_world(rate_informant_per_minute=2)
    codes = [w.client.post("/api/v1/reports", json={**REPORT, "informant_id": "inf-7"}).status_code
             for _ in range(3)]  # fmt: skip
    assert codes == [201, 201, 429]
    assert w.client.post("/api/v1/reports", json={**REPORT, "informant_id": "inf-8"}
                         ).status_code == 201  # fmt: skip


def test_sign_in_attempts_are_limited(fresh_world: Callable[..., World]) -> None:
    w = fresh_world(rate_login_per_minute=3)
    codes = [w.client.post("/api/v1/auth/login", json={"username": "admin", "password": "x"}
                           ).status_code for _ in range(4)]  # fmt: skip
    assert codes == [401, 401, 401, 429]
