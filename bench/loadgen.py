"""HTTP load for the intake: closed-loop (as fast as it answers) or open-loop (a fixed rate).

aiohttp (already installed with Faust) is the client: on this 2-core machine a
client that costs less CPU per request leaves more for the server it measures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HEADERS = {"content-type": "application/json"}


@dataclass
class Tally:
    """Answers by status, request latencies and, per report id, when its 201 came."""

    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    accepted_at: dict[str, float] = field(default_factory=dict)
    late: int = 0  # open loop: sends that started behind schedule by more than 50 ms

    async def post(self, session: aiohttp.ClientSession, url: str, body: bytes) -> None:
        t0 = time.perf_counter()
        async with session.post(url, data=body, headers=HEADERS) as resp:
            data = await resp.json() if resp.status == 201 else None
            done = time.perf_counter()
        self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
        self.latencies.append(done - t0)
        if data is not None:
            self.accepted_at[data["report_id"]] = time.time()


def quantiles_ms(values: Sequence[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": round(q[49] * 1e3, 1), "p95_ms": round(q[94] * 1e3, 1),
            "p99_ms": round(q[98] * 1e3, 1)}  # fmt: skip


def _session(connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))


async def closed_loop(url: str, bodies: Sequence[bytes], seconds: float,
                      connections: int) -> tuple[Tally, float]:  # fmt: skip
    """``connections`` clients posting back to back for ``seconds``; (tally, elapsed)."""
    tally, stop_at = Tally(), time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        while time.perf_counter() < stop_at:
            await tally.post(session, url, bodies[next(counter) % len(bodies)])

    async with _session(connections) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        return tally, time.perf_counter() - t0


async def open_loop(url: str, bodies: Sequence[bytes], rate: float, seconds: float,
                    on_tick: Callable[[], Any] | None = None) -> Tally:  # fmt: skip
    """Send at ``rate`` per second whatever the answers (no coordinated omission)."""
    tally, tasks = Tally(), []
    async with _session(256) as session:
        t0, n = time.perf_counter(), int(rate * seconds)
        for i in range(n):
            due = t0 + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.05:
                tally.late += 1
            tasks.append(asyncio.create_task(tally.post(session, url, bodies[i % len(bodies)])))
        await asyncio.gather(*tasks, return_exceptions=True)
    return tally
