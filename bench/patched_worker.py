"""`minqing worker` with the consumer setting proposed in bench/results/PROFILE.md, bench only.

Faust 0.15 builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` and no
setting to change it. Apache Kafka answers a waiting fetch as soon as data
arrives, so that is harmless there; tansu holds every fetch for its full wait,
so each hop of the pipeline waits up to 1.5 s. This wrapper sets the wait from
``BENCH_FETCH_MAX_WAIT_MS`` so the benchmark can measure what the proposed
change to streams/app.py would gain, without editing streams/.
``python -m bench.patched_worker worker`` takes the same arguments as `minqing`.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

import aiokafka
import faust.transport.drivers.aiokafka as driver

from minqing.cli import main


class _Consumer(aiokafka.AIOKafkaConsumer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        wait = os.environ.get("BENCH_FETCH_MAX_WAIT_MS")
        if wait:
            kwargs["fetch_max_wait_ms"] = int(wait)
        super().__init__(*args, **kwargs)


def patch() -> None:
    """Make the Faust driver build its consumers through ``_Consumer``."""
    shim = types.ModuleType("aiokafka")
    shim.__dict__.update(aiokafka.__dict__)
    shim.AIOKafkaConsumer = _Consumer  # type: ignore[attr-defined]
    driver.aiokafka = shim  # type: ignore[attr-defined]


if __name__ == "__main__":
    patch()
    sys.exit(main(sys.argv[1:]))
