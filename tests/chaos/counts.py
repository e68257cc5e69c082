"""What a fault test counts, from the warehouse and the real receivers, and where it keeps it.

Duplicates are counted as a user would see them (``FINAL``, the view every query
uses) and, for information, as raw rows (a replayed batch written twice, which
ReplacingMergeTree folds away). A notification "sent twice" is the same
(notification, recipient, channel) received twice by a receiver, or the same
notice (one event for one recipient) reaching a receiver in two notifications.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from minqing.settings import REPO_ROOT
from notify.channels import KEY_HEADER
from tests.notify.receivers import HttpReceiver, SmtpReceiver
from warehouse.backend import Backend

log = logging.getLogger(__name__)
RESULTS = REPO_ROOT / "bench" / "results" / "chaos.json"


def scalar(backend: Backend, sql: str) -> int:
    row = backend.query(sql.format(db=backend.database))[0]
    return int(next(iter(row.values())))


def processed(backend: Backend) -> int:
    """Reports the pipeline has put in a matter (what the outbox waits for)."""
    return scalar(backend, "SELECT count() FROM {db}.reports FINAL WHERE matter_id != ''")


def delivered_keys(smtp: SmtpReceiver, http: HttpReceiver) -> list[str]:
    """Every delivery's idempotency key, once per time a receiver got it."""
    keys = [m.key for m in smtp.mails]
    for r in http.requests:
        headers = {k.lower(): v for k, v in r.headers.items()}
        keys.append(headers.get(KEY_HEADER.lower(), ""))
    return keys


@dataclass
class Counts:
    scenario: str
    reports_sent: int = 0
    reports_stored: int = 0
    duplicates: int = 0
    notifications_sent_twice: int = 0
    missing: int = 0
    raw_report_rows: int = 0
    alerts: int = 0
    alert_duplicates: int = 0
    alert_event_duplicates: int = 0
    deliveries: int = 0
    notices_delivered_twice: int = 0
    # Ground truth: a dispute is one matter of the feed. Split: its reports landed in more
    # than one matter; alerted twice: two of those matters raised an alert.
    disputes: int = 0
    disputes_split: int = 0
    disputes_alerted_twice: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{self.scenario}: sent {self.reports_sent}, stored {self.reports_stored}, "
                f"duplicates {self.duplicates}, notifications sent twice "
                f"{self.notifications_sent_twice} ({self.extra})")  # fmt: skip


def count_reports(backend: Backend, accepted: list[str], c: Counts) -> None:
    rows = report_rows(backend)
    ids = Counter(r["report_id"] for r in rows)
    wanted = set(accepted)
    c.reports_sent = len(accepted)
    c.reports_stored = sum(1 for r in rows if r["report_id"] in wanted and r["matter_id"])
    c.duplicates = sum(n - 1 for n in ids.values()) + (len(accepted) - len(wanted))
    c.missing = len(wanted - set(ids))
    c.raw_report_rows = scalar(backend, "SELECT count() FROM {db}.reports")


def report_rows(backend: Backend) -> list[dict[str, Any]]:
    return backend.query(f"SELECT report_id, matter_id FROM {backend.database}.reports FINAL")


def count_disputes(backend: Backend, dispute_of: dict[str, int], c: Counts) -> None:
    """``dispute_of``: report_id -> the feed's matter it was written for."""
    matters: dict[int, set[str]] = {}
    for r in report_rows(backend):
        if r["report_id"] in dispute_of and r["matter_id"]:
            matters.setdefault(dispute_of[r["report_id"]], set()).add(r["matter_id"])
    alerted = {r["matter_id"] for r in backend.query(
        f"SELECT DISTINCT matter_id FROM {backend.database}.alerts FINAL")}  # fmt: skip
    c.disputes = len(matters)
    c.disputes_split = sum(1 for ms in matters.values() if len(ms) > 1)
    c.disputes_alerted_twice = sum(1 for ms in matters.values() if len(ms & alerted) > 1)


def count_alerts(backend: Backend, c: Counts) -> None:
    db = backend.database
    c.alerts = scalar(backend, "SELECT uniqExact(alert_id) FROM {db}.alerts FINAL")
    per_matter = backend.query(
        f"SELECT matter_id, count() AS n, uniqExact(alert_id) AS u FROM {db}.alerts FINAL "
        "GROUP BY matter_id HAVING n > 1 OR u > 1"
    )  # fmt: skip
    c.alert_duplicates = sum(int(r["n"]) - 1 for r in per_matter)
    c.alert_event_duplicates = scalar(
        backend, "SELECT count() - uniqExact(event_id) FROM {db}.alert_events FINAL"
    )  # fmt: skip


def count_notifications(backend: Backend, keys: list[str], c: Counts) -> None:
    c.deliveries = len(keys)
    c.notifications_sent_twice = sum(n - 1 for n in Counter(keys).values())
    rows = backend.query(
        f"SELECT notification_id, recipient, items FROM {backend.database}.notifications FINAL"
    )  # fmt: skip
    notices = {(r["notification_id"], r["recipient"]): _notice_ids(r["items"]) for r in rows}
    seen: Counter[tuple[str, str]] = Counter()
    for key in set(keys):
        notification_id, recipient, channel = key.rsplit("|", 2)
        for notice in notices.get((notification_id, recipient), []):
            seen[(notice, channel)] += 1
    c.notices_delivered_twice = sum(n - 1 for n in seen.values())


def _notice_ids(items: str) -> list[str]:
    try:
        return [str(i["notice_id"]) for i in json.loads(items or "[]")]
    except (ValueError, KeyError, TypeError):
        return []


def record(c: Counts) -> None:
    """Merge this scenario's counts into bench/results/chaos.json (by scenario name)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        data: dict[str, Any] = json.loads(text) if text.strip() else {}
        entry = asdict(c) | {"at": datetime.now(UTC).isoformat(timespec="seconds")}
        data[c.scenario] = entry
        f.seek(0)
        f.truncate()
        f.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    log.info("%s", c.summary())
