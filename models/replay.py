"""``minqing replay``: run reports through clustering and risk scoring, offline.

Every input line gives exactly one output line, in event-time order (stable
sort by received_at, then report_id; reports without a time keep their input
order at the end). A bad report is repaired as far as possible and logged, never
dropped. Output is deterministic byte for byte.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from minqing.config import Config
from minqing.records import Accepted, Report
from minqing.regions import Regions
from models.cluster_state import MemoryArchive
from models.clustering import EPOCH, Clusterer
from models.lenient import coerce_report
from models.risk import make_scorer

log = logging.getLogger(__name__)

UNREADABLE_TITLE = "（无法解析的记录）"


def _sort_key(item: tuple[Report, Any]) -> tuple[int, datetime, str]:
    report = item[0]
    if report.received_at is None:
        return (1, EPOCH, "")
    return (0, report.received_at, report.report_id or "")


def prepared(reports: Iterable[dict[str, Any]]) -> list[tuple[Report, Any]]:
    """Valid reports (repaired where needed) with the raw received_at, in event order."""
    out: list[tuple[Report, Any]] = []
    for n, raw in enumerate(reports, start=1):
        report, errors = coerce_report(raw)
        if errors:
            problems = "; ".join(e.message_en for e in errors)
            log.warning("report %d (%s) repaired / 已修正: %s", n, report.report_id, problems)
        out.append((report, raw.get("received_at")))
    out.sort(key=_sort_key)
    return out


def replay(
    reports: Iterable[dict[str, Any]], config: Config, regions: Regions
) -> Iterator[dict[str, Any]]:
    """One result dict per report: report_id, matter_id, risk, level, at.

    >>> from minqing.config import Config
    >>> cfg = Config(region={"file": "x", "county_code": "330681"}, categories={},
    ...              signals={}, levels={})
    >>> rows = [{"report_id": "r1", "informant_id": "i", "title": "停水", "content": "",
    ...          "received_at": "2024-05-01T08:00:00+08:00"}]
    >>> [sorted(o) for o in replay(rows, cfg, Regions())]
    [['at', 'level', 'matter_id', 'report_id', 'risk']]
    """
    clusterer = Clusterer.from_config(config, regions)
    clusterer.archive = True  # closed matters come back, as in the worker
    archive = MemoryArchive()
    scorer = make_scorer(config.risk, config.signals)
    cstate, rstate = clusterer.init(), scorer.init()
    for report, raw_at in prepared(reports):
        place = regions.locate(report.region_code, report.region_text)
        item = Accepted(report=report, place=place, receipt="")
        cstate, update = clusterer.update(cstate, item)
        archive.store(clusterer.take_evicted(cstate))
        query = clusterer.archive_query(cstate, update)
        if query is not None:
            cstate, update = clusterer.revive(cstate, update, archive.lookup(*query))
        rid = report.report_id or ""
        at = report.received_at or cstate.newest or EPOCH
        rstate, score = scorer.update(rstate, update.matter, rid, at, item)
        yield {
            "report_id": rid,
            "matter_id": update.matter.matter_id,
            "risk": round(score.risk, 4),
            "level": score.level,
            "at": raw_at,
        }


def read_reports(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Report dicts from JSONL; a line that is not a JSON object becomes a report of its text.

    >>> [r["title"] for r in read_reports(['{"title": "t"}', "", "oops"])]
    ['t', '（无法解析的记录）']
    """
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            raw = None
        if not isinstance(raw, dict):
            log.warning("line %d is not a JSON object / 不是 JSON 对象: kept as text", n)
            raw = {"title": UNREADABLE_TITLE, "content": line.strip()[:2000]}
        yield raw


def run_replay(input_path: Path, output_path: Path, config: Config, regions: Regions) -> int:
    """Replay a JSONL file of reports into a JSONL file of results; the count written."""
    with input_path.open(encoding="utf-8-sig", errors="replace") as f:
        reports = list(read_reports(f))
    count = 0
    with output_path.open("w", encoding="utf-8", newline="\n") as out:
        for row in replay(reports, config, regions):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    log.info("replayed %d reports / 已回放 %d 条 -> %s", count, count, output_path)
    return count
