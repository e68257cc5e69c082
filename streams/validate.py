"""Validation and normalisation of raw report messages (pure)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import ValidationError

from minqing.normalise import normalise
from minqing.receipts import receipt_for
from minqing.records import Accepted, DeadLetter, FieldError, Report
from minqing.regions import Regions
from minqing.validation import explain


def dead_letter(
    topic: str,
    payload: bytes,
    reason_en: str,
    reason_zh: str,
    errors: list[FieldError],
    now: datetime,
) -> DeadLetter:
    text = payload.decode("utf-8", errors="replace")
    return DeadLetter(
        dlq_id=f"{topic}:{hashlib.sha1(payload).hexdigest()[:16]}",
        topic=topic,
        reason_en=reason_en,
        reason_zh=reason_zh,
        errors=errors,
        payload=text,
        at=now,
    )


def accept(
    raw: bytes, topic: str, regions: Regions, secret: str, now: datetime
) -> Accepted | DeadLetter:
    """Parse, check and place one raw report; a DeadLetter says why not."""
    try:
        report = Report.model_validate_json(raw)
    except ValidationError as e:
        errors = explain(e)
        if _not_json(raw):
            return dead_letter(topic, raw, "malformed JSON", "JSON 格式错误", errors, now)
        return dead_letter(topic, raw, "invalid report", "报告字段无效", errors, now)
    if report.report_id is None or report.received_at is None:
        missing = [f for f in ("report_id", "received_at") if getattr(report, f) is None]
        errs = [
            FieldError(
                field=f,
                message_en=f"{f}: required on the topic",
                message_zh=f"{f} 在主题消息中为必填项",
            )
            for f in missing
        ]
        return dead_letter(topic, raw, "incomplete report", "报告不完整", errs, now)
    report = normalise(report)
    place = regions.locate(report.region_code, report.region_text)
    assert report.report_id is not None
    return Accepted(report=report, place=place, receipt=receipt_for(report.report_id, secret))


def _not_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False
