"""The clustering window as a Faust table: the worker's state survives a restart.

The table holds the reports of the window, keyed by report id, on the
partition of the report's place (so all candidates of a report are on one
partition). The models are deterministic folds, so after a start or a
rebalance the worker refolds them over the table (changelog recovery); when
the table is empty because the broker kept nothing, over the warehouse.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import faust

from minqing.records import Accepted
from streams.pipeline import Pipeline

log = logging.getLogger(__name__)
PRUNE_EVERY = 1000


class Window:
    def __init__(self, app: faust.App, pipe: Pipeline) -> None:
        self.pipe = pipe
        # bytes key and value types make Faust use the raw codec for the changelog too.
        self.table = app.Table("cluster-window", default=None, key_type=bytes, value_type=bytes)
        self.times: dict[bytes, float] = {}
        self.newest = 0.0
        self.count = 0

        @app.on_partitions_assigned.connect
        async def reassigned(*args: object, **kwargs: object) -> None:
            self.pipe.ready = False

    def restore(self, first: Accepted) -> None:
        """Refold the models over the table, or the warehouse when the table is empty."""
        self.restore_at(first.report.received_at)

    def restore_at(self, newest: datetime | None) -> None:
        """``restore`` for a message that is not a report (a correction): ``newest`` is now."""
        items = [Accepted.model_validate_json(v) for v in self.table.values() if v]
        if not items and self.pipe.history is not None and newest:
            items = self.pipe.history(self.pipe.window_start(newest))
        self.times = {i.report.report_id.encode(): _ts(i) for i in items if i.report.report_id}
        self.pipe.rebuild(items)

    def keep(self, item: Accepted) -> None:
        """Add a clustered report; now and then forget those older than the window."""
        key = (item.report.report_id or "").encode()
        self.table[key] = item.to_bytes()
        self.times[key] = ts = _ts(item)
        self.newest = max(self.newest, ts)
        self.count += 1
        if self.count % PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        start = self.pipe.window_start(datetime.fromtimestamp(self.newest, UTC)).timestamp()
        for key in [k for k, t in self.times.items() if t < start]:
            self.times.pop(key, None)
            self.table.pop(key, None)


def _ts(item: Accepted) -> float:
    at = item.report.received_at
    return at.timestamp() if at else 0.0
