"""Writes accepted reports to the warehouse as 'received', before the pipeline sees them.

So the warehouse holds every accepted report within about a second, whatever
happens to the broker or the worker; the pipeline's row (with its matter)
replaces this one later (higher version).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from minqing.records import Accepted
from minqing.regions import Regions
from streams.topics import RAW
from streams.validate import accept
from warehouse.backend import Backend
from warehouse.rows import accepted_row
from warehouse.writer import WarehouseWriter

log = logging.getLogger(__name__)


class ReceivedRecorder:
    def __init__(self, backend: Backend, regions: Regions, secret: str) -> None:
        self.backend, self.regions, self.secret = backend, regions, secret

    def __call__(self, items: list[tuple[str, bytes]]) -> list[str]:
        """Write these outbox items; returns the ids written (raises if the warehouse fails)."""
        # A writer per call: after a failed flush the outbox still holds these items as
        # unrecorded and the next round retries them. A long-lived writer would keep its
        # failed rows too and be handed them again every round: a buffer that grows for as
        # long as the warehouse is down.
        writer = WarehouseWriter(self.backend)
        done: list[str] = []
        for report_id, payload in items:
            out = accept(payload, RAW, self.regions, self.secret, datetime.now(UTC))
            if isinstance(out, Accepted):
                writer.add("reports", accepted_row(out))
            else:  # the intake validated it, so this is a bug: keep it out of the way, loudly
                log.error("outbox item %s no longer validates: %s", report_id, out.reason_en)
            done.append(report_id)
        writer.flush()
        return done
