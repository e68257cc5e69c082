"""Worker health and metrics: consumer lag, and /metrics on Faust's web server."""

from __future__ import annotations

import logging
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from minqing import metrics

log = logging.getLogger(__name__)


def partition_lag(highwater: int | None, read_offset: int | None) -> int:
    """Messages not yet read in a partition.

    >>> partition_lag(10, 6), partition_lag(10, None), partition_lag(None, 3)
    (3, 10, 0)
    """
    if highwater is None:
        return 0
    next_to_read = 0 if read_offset is None else read_offset + 1
    return max(0, highwater - next_to_read)


def register_monitoring(app: faust.App, every: float = 5.0) -> None:
    @app.timer(every, name="consumer_lag")
    async def consumer_lag() -> None:
        consumer = app.consumer
        # _read_offset is Faust's own bookkeeping of the last offset an agent took.
        read = getattr(consumer, "_read_offset", {})
        for tp in consumer.assignment():
            lag = partition_lag(consumer.highwater(tp), read.get(tp))
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST)

    @app.page("/healthz")
    async def health_page(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "assigned": len(app.consumer.assignment())})
