"""A durable local outbox: an accepted report stays here until the warehouse holds it.

SQLite with synchronous=FULL, so a report answered 201 survives a kill -9.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from minqing.errors import IntakeError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    report_id TEXT PRIMARY KEY,
    receipt TEXT NOT NULL,
    payload BLOB NOT NULL,
    accepted_at REAL NOT NULL,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    recorded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_receipt ON outbox (receipt);
"""


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise IntakeError(f"cannot open outbox {path}") from e

    def put(self, report_id: str, receipt: str, payload: bytes) -> bool:
        """Store a report; False when that report_id is already here (idempotent)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO outbox (report_id, receipt, payload, accepted_at) "
                "VALUES (?, ?, ?, ?)",
                (report_id, receipt, payload, time.time()),
            )
            return cur.rowcount == 1

    def due(self, resend_after: float, limit: int = 500) -> list[tuple[str, bytes]]:
        """Reports never sent, or sent long ago and still not in the warehouse."""
        cutoff = time.time() - resend_after
        with self._lock:
            rows = self._db.execute(
                "SELECT report_id, payload FROM outbox WHERE sent_at IS NULL OR sent_at < ? "
                "ORDER BY accepted_at LIMIT ?",
                (cutoff, limit),
            ).fetchall()
        return [(r[0], bytes(r[1])) for r in rows]

    def unrecorded(self, limit: int = 1000) -> list[tuple[str, bytes]]:
        """Reports not yet written to the warehouse as received."""
        with self._lock:
            rows = self._db.execute(
                "SELECT report_id, payload FROM outbox WHERE recorded = 0 "
                "ORDER BY accepted_at LIMIT ?",
                (limit,),
            ).fetchall()
        return [(r[0], bytes(r[1])) for r in rows]

    def mark_recorded(self, report_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET recorded = 1 WHERE report_id = ?", [(rid,) for rid in report_ids]
            )

    def mark_sent(self, report_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE report_id = ?",
                [(time.time(), rid) for rid in report_ids],
            )

    def unconfirmed(self, limit: int = 1000) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT report_id FROM outbox WHERE sent_at IS NOT NULL ORDER BY sent_at LIMIT ?",
                (limit,),
            ).fetchall()
        return [r[0] for r in rows]

    def confirm(self, report_ids: list[str]) -> None:
        """The warehouse holds these: forget them."""
        with self._lock:
            self._db.executemany(
                "DELETE FROM outbox WHERE report_id = ?", [(rid,) for rid in report_ids]
            )

    def forget_sends(self) -> None:
        """After a restart the broker may be new and empty: send everything again."""
        with self._lock:
            self._db.execute("UPDATE outbox SET sent_at = NULL")

    def lookup(self, receipt: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT report_id FROM outbox WHERE receipt = ?", (receipt,)
            ).fetchone()
        return row[0] if row else None

    def informant_of(self, receipt: str) -> str | None:
        """The informant id in the held report with this receipt (own-receipt checks)."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM outbox WHERE receipt = ?", (receipt,)
            ).fetchone()
        if not row:
            return None
        try:
            return str(json.loads(row[0])["informant_id"])
        except (ValueError, KeyError, TypeError):
            return None

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
