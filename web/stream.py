"""Server-sent events for the analyst's live alert feed.

Each connection polls the warehouse every ``interval`` seconds (in a worker
thread: the warehouse client blocks) and sends the whole filtered list when it
changed. A snapshot, not a diff: a client that missed events is right again
with the next one, and the browser's EventSource reconnects by itself. The list
is also re-sent every ``refresh`` seconds so overdue flags move with the clock,
and a comment line keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from minqing.errors import MinqingError

log = logging.getLogger(__name__)
Row = dict[str, Any]
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def fingerprint(items: list[Row]) -> str:
    """What counts as a change: everything but the ticking seconds_left."""
    stable = [{k: v for k, v in r.items() if k != "seconds_left"} for r in items]
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def event(name: str, data: Any) -> bytes:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {body}\n\n".encode()


async def alert_events(
    request: Request,
    load: Callable[[], list[Row]],
    interval: float = 2.0,
    refresh: float = 30.0,
) -> AsyncIterator[bytes]:
    last, sent_at, seq = "", 0.0, 0
    yield b"retry: 3000\n\n"
    while not await request.is_disconnected():
        try:
            items = await run_in_threadpool(load)
        except MinqingError as e:
            # Keep the stream: the warehouse may be back on the next poll.
            log.warning("alert stream: %s", e)
            yield event("problem", {"message_zh": "数据暂时无法读取", "message_en": str(e)})
            await asyncio.sleep(interval * 5)
            continue
        mark, now = fingerprint(items), time.monotonic()
        if mark != last or now - sent_at >= refresh:
            seq, last, sent_at = seq + 1, mark, now
            at = datetime.now(UTC).isoformat()
            yield event("alerts", {"seq": seq, "at": at, "count": len(items), "items": items})
        else:
            yield b": ping\n\n"
        await asyncio.sleep(interval)
