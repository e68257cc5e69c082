"""In-memory token buckets: per IP, per informant, per sign-in name.

IP addresses are personal data: they are kept only here, in memory, for as
long as a bucket is not full again, and never logged or written. Keys are
HMAC'd with a per-process random key first, so even a memory dump of a busy
intake lists no addresses. A bucket refills at ``per_minute / 60`` tokens a
second up to ``burst``; a full bucket is the same as no bucket and is dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable

_KEY = secrets.token_bytes(32)
SWEEP_EVERY = 1000  # checks between sweeps of full buckets
MAX_KEYS = 200_000  # beyond this (a flood of addresses), the oldest buckets go first


def blind(key: str) -> str:
    return hmac.new(_KEY, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class RateLimiter:
    """``check(key) -> seconds to wait`` (0.0: allowed, and one token taken)."""

    def __init__(self, per_minute: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.rate = per_minute / 60.0
        self.burst = max(1.0, burst if burst is not None else per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._checks = 0

    def check(self, key: str) -> float:
        k, now = blind(key), self.clock()
        with self._lock:
            tokens = self._level(k, now)
            self._tick(now)
            if tokens >= 1.0:
                self._buckets[k] = (tokens - 1.0, now)
                return 0.0
            self._buckets[k] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _level(self, k: str, now: float) -> float:
        tokens, at = self._buckets.get(k, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def _tick(self, now: float) -> None:
        self._checks += 1
        if self._checks % SWEEP_EVERY and len(self._buckets) < MAX_KEYS:
            return
        self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.burst}
        if len(self._buckets) >= MAX_KEYS:
            oldest = sorted(self._buckets.items(), key=lambda kv: kv[1][1])
            self._buckets = dict(oldest[len(oldest) // 2 :])

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(seconds: float) -> str:
    """A Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
