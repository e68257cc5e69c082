"""Turn any report-like dict into a valid Report, fixing what is wrong (for replay).

Replay must give every input line an output line, so instead of rejecting a
bad report this keeps what is valid, repairs or drops what is not, and returns
the per-field errors for a log warning.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

from pydantic import ValidationError

from minqing.records import REPORT_FIELDS, Channel, FieldError, Report, Signal
from minqing.validation import explain

# A time without an offset is read as China Standard Time, where reports come from.
CST = timezone(timedelta(hours=8))
UNKNOWN_INFORMANT = "unknown"
NO_TITLE = "（无标题）"
_SIGNALS = set(get_args(Signal))
_CHANNELS = set(get_args(Channel))


def fallback_id(raw: Mapping[str, Any]) -> str:
    """A deterministic report id from the report's content.

    >>> fallback_id({"title": "t"}) == fallback_id({"title": "t"}), fallback_id({})[:1]
    (True, 'R')
    """
    canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    return "R" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


def parse_time(v: Any) -> datetime | None:
    """ISO 8601 (an offset-less time taken as +08:00) or epoch seconds; None if neither.

    >>> parse_time("2019-01-02 03:04:05").isoformat()
    '2019-01-02T03:04:05+08:00'
    >>> parse_time("yesterday") is None
    True
    """
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return datetime.fromtimestamp(v, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        t = datetime.fromisoformat(str(v).strip())
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=CST)


def region_code(v: Any) -> str | None:
    """The longest valid code prefix (12, 9 or 6 digits) of the digits given.

    >>> region_code("3306-8110-9201"), region_code("33068"), region_code("3306811")
    ('330681109201', None, '330681')
    """
    digits = re.sub(r"\D", "", str(v or ""))
    for n in (12, 9, 6):
        if len(digits) >= n:
            return digits[:n]
    return None


def _text(limit: int) -> Callable[[Any], str | None]:
    return lambda v: str(v).strip()[:limit] or None if v is not None else None


def _people(v: Any) -> int | None:
    try:
        n = int(float(v))
    except (TypeError, ValueError, OverflowError):
        return None
    return n if n >= 0 else None


def _signals(v: Any) -> list[str]:
    items = re.split(r"[,，;；\s]+", v) if isinstance(v, str) else v
    items = items if isinstance(items, list) else []
    return sorted({s for s in items if isinstance(s, str) and s in _SIGNALS})


_FIXES: dict[str, Callable[[Any], Any]] = {
    "report_id": _text(64),
    "received_at": parse_time,
    "informant_id": _text(64),
    "region_code": region_code,
    "region_text": _text(200),
    "category": lambda v: None,
    "title": _text(100),
    "content": lambda v: str(v)[:2000] if v is not None else "",
    "people_involved": _people,
    "signals": _signals,
    "channel": lambda v: v if v in _CHANNELS else "import",
}


def coerce_report(raw: Mapping[str, Any]) -> tuple[Report, list[FieldError]]:
    """A valid Report from ``raw`` (unknown keys dropped) and the errors that were fixed.

    >>> r, errs = coerce_report({"title": "停水", "content": "三天", "people_involved": "12",
    ...                          "matter_label": 3, "region_code": "9999991"})
    >>> r.informant_id, r.people_involved, r.region_code, sorted(e.field for e in errs)
    ('unknown', 12, '999999', ['informant_id', 'people_involved', 'region_code'])
    """
    data = {k: raw[k] for k in REPORT_FIELDS if k in raw}
    if not data.get("report_id"):
        data["report_id"] = fallback_id(raw)
    try:
        return Report.model_validate(data), []
    except ValidationError as e:
        errors = explain(e)
    bad = {err.field.split(".")[0] for err in errors} & set(REPORT_FIELDS)
    fixed = {k: _FIXES[k](v) if k in bad else v for k, v in data.items()}
    fixed = {k: v for k, v in fixed.items() if v is not None}
    fixed.setdefault("report_id", fallback_id(raw))
    fixed.setdefault("informant_id", UNKNOWN_INFORMANT)
    fixed.setdefault("content", "")
    fixed.setdefault("title", str(fixed["content"]).strip()[:30] or NO_TITLE)
    try:
        return Report.model_validate(fixed), errors
    except ValidationError as e:  # a case the fixes missed: keep the bare minimum
        return _minimal(raw, fixed), errors + explain(e)


def _minimal(raw: Mapping[str, Any], fixed: Mapping[str, Any]) -> Report:
    rid = fixed.get("report_id")
    return Report(
        report_id=rid if isinstance(rid, str) and 0 < len(rid) <= 64 else fallback_id(raw),
        informant_id=UNKNOWN_INFORMANT,
        title=NO_TITLE,
        content=str(fixed.get("content", ""))[:2000],
    )
