"""Batching warehouse writer: buffer rows, one insert per table per flush.

Idempotent by design: every table is a ReplacingMergeTree keyed on the record's
id, so re-sending a batch after an error (or after a crash and a Kafka replay)
leaves one copy. A failed flush keeps its rows and re-raises, the caller retries.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from minqing.errors import WarehouseError
from minqing.records import Record
from warehouse.backend import Backend
from warehouse.rows import rows_for

log = logging.getLogger(__name__)

Row = dict[str, Any]


class BufferFullError(WarehouseError):
    """Backpressure: the buffer is full; flush (the warehouse must be reachable) first."""


class WarehouseWriter:
    """Buffers rows per table and writes them in batches.

    Call ``add``/``add_record`` as records arrive and ``flush`` when ``due()``
    (or use ``maybe_flush``). Safe for producers and one flushing thread.
    """

    def __init__(
        self,
        backend: Backend,
        batch_rows: int = 1000,
        flush_seconds: float = 1.0,
        max_rows: int = 100_000,
    ) -> None:
        if batch_rows < 1 or max_rows < batch_rows:
            raise WarehouseError("writer needs 1 <= batch_rows <= max_rows")
        self.backend = backend
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.max_rows = max_rows
        self._buffer: dict[str, list[Row]] = {}
        self._pending = 0
        self._oldest: float | None = None  # monotonic time of the oldest unwritten row
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Rows buffered and not yet written."""
        return self._pending

    def add(self, table: str, row: Row) -> None:
        """Buffer one row for ``table``; raises BufferFullError when the buffer is full."""
        self._extend([(table, row)])

    def add_record(self, record: Record) -> None:
        """Buffer the row(s) of a record, dispatched by type (see rows.RECORD_TABLES)."""
        self._extend(rows_for(record))

    def _extend(self, pairs: list[tuple[str, Row]]) -> None:
        with self._lock:
            # All or nothing, so a record's two rows are never split by backpressure.
            if self._pending + len(pairs) > self.max_rows:
                raise BufferFullError(
                    f"warehouse buffer full ({self._pending} rows); flush before adding more"
                )
            for table, row in pairs:
                self._buffer.setdefault(table, []).append(row)
            self._pending += len(pairs)
            if self._oldest is None and pairs:
                self._oldest = time.monotonic()

    def due(self) -> bool:
        """True when a batch is full or the oldest buffered row waited flush_seconds."""
        with self._lock:
            if self._oldest is None:
                return False
            waited = time.monotonic() - self._oldest
            return self._pending >= self.batch_rows or waited >= self.flush_seconds

    def flush(self) -> int:
        """Write everything buffered, one insert per table; returns rows written.

        On error the rows not written stay buffered and WarehouseError is raised.
        """
        with self._flush_lock:
            with self._lock:
                batches = {t: list(rows) for t, rows in self._buffer.items() if rows}
            written = 0
            for table, rows in batches.items():
                try:
                    self.backend.insert(table, rows)
                except WarehouseError:
                    log.warning("flush of %d %s rows failed; kept for retry", len(rows), table)
                    raise
                self._forget(table, len(rows))
                written += len(rows)
            if written:
                log.debug("flushed %d rows", written)
            return written

    def _forget(self, table: str, n: int) -> None:
        with self._lock:
            # Rows added during the insert sit after the first n and stay buffered.
            del self._buffer[table][:n]
            self._pending -= n
            if self._pending == 0:
                self._oldest = None

    def maybe_flush(self) -> int:
        """Flush if due; returns rows written (0 when not due)."""
        return self.flush() if self.due() else 0
