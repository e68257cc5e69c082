"""A small, known warehouse for the UI endpoint tests, written through the real writer.

Three matters, relative to ``now``:
  M-red   枫桥镇, environment, red alert raised 3 h ago (2 h limit: overdue), 2 reports
  M-yel   牌头镇, wage_arrears, yellow alert raised 1 h ago (12 h limit), 1 report
  M-done  牌头镇, demolition, orange alert raised 5 h ago, acknowledged after 1 h and
          resolved after 2 h (4 h limit: on time), 1 report whose title looks like a formula
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from minqing.records import (
    Accepted,
    Alert,
    AlertEvent,
    AlertOut,
    Level,
    Matter,
    MatterUpdate,
    Place,
    Report,
    RiskScore,
)
from warehouse.backend import Backend
from warehouse.writer import WarehouseWriter

FENGQIAO, PAITOU = "330681109", "330681115"
VILLAGE = "330681109290"  # 枫源村


@dataclass(frozen=True)
class Case:
    matter_id: str
    township: str
    category: str
    level: Level
    risk: float
    status: str
    raised_hours_ago: float
    titles: tuple[str, ...]


CASES = (
    Case(
        "M-red", FENGQIAO, "environment", "red", 0.91, "raised", 3, ("化工厂排污", "化工厂排污续报")
    ),
    Case("M-yel", PAITOU, "wage_arrears", "yellow", 0.5, "raised", 1, ("工地欠薪",)),
    Case("M-done", PAITOU, "demolition", "orange", 0.7, "resolved", 5, ("=拆迁补偿",)),
)


def _report(case: Case, i: int, title: str, at: datetime) -> Accepted:
    report = Report(
        report_id=f"{case.matter_id}-r{i}",
        received_at=at,
        informant_id=f"secret-informant-{i}",
        region_code=VILLAGE if case.township == FENGQIAO else case.township,
        category=case.category,  # type: ignore[arg-type]
        title=title,
        content="不应出现在界面接口里的正文",
        people_involved=30,
        signals=["collective_petition"] if i == 0 else [],
    )
    village = VILLAGE if case.township == FENGQIAO else None
    place = Place(village=village, township=case.township, county="330681")
    return Accepted(report=report, place=place, receipt=f"RCPT{case.matter_id}{i}")


def _matter(case: Case, n: int, first: datetime, last: datetime) -> Matter:
    return Matter(
        matter_id=case.matter_id,
        version=n,
        title=case.titles[0],
        category=case.category,
        keywords=[case.titles[0]],
        township=case.township,
        county="330681",
        n_reports=n,
        n_informants=n,
        n_villages=1,
        people_max=30,
        signals=["collective_petition"],
        first_seen=first,
        last_seen=last,
    )


def _alert(case: Case, raised: datetime, now: datetime) -> Alert:
    return Alert(
        alert_id="A" + case.matter_id,
        matter_id=case.matter_id,
        version=2 if case.status != "raised" else 1,
        level=case.level,
        risk=case.risk,
        status=case.status,  # type: ignore[arg-type]
        title=case.titles[0],
        category=case.category,
        township=case.township,
        explanation="1名信息员反映1次；涉及约30人",
        raised_at=raised,
        updated_at=now,
    )


def _event(case: Case, kind: str, at: datetime, n: int) -> AlertEvent:
    return AlertEvent(
        event_id=f"A{case.matter_id}-{n}",
        alert_id="A" + case.matter_id,
        matter_id=case.matter_id,
        kind=kind,
        level=case.level,
        at=at,
        actor="system" if kind == "raised" else "值班员",
    )


def seed(backend: Backend, now: datetime) -> None:
    writer = WarehouseWriter(backend)
    for case in CASES:
        raised = now - timedelta(hours=case.raised_hours_ago)
        first = raised - timedelta(minutes=10)
        for i, title in enumerate(case.titles):
            at = first + timedelta(minutes=i)
            accepted = _report(case, i, title, at)
            matter = _matter(case, i + 1, first, at)
            writer.add_record(MatterUpdate(accepted=accepted, matter=matter, similarity=0.9,
                                           new_matter=i == 0))  # fmt: skip
            writer.add_record(RiskScore(matter_id=case.matter_id, version=i + 1,
                                        report_id=accepted.report.report_id or "", risk=case.risk,
                                        level=case.level, scored_at=at))  # fmt: skip
        alert = _alert(case, raised, now)
        writer.add_record(AlertOut(alert=alert, event=_event(case, "raised", raised, 1)))
        if case.status == "resolved":
            writer.add_record(_event(case, "acknowledged", raised + timedelta(hours=1), 2))
            writer.add_record(_event(case, "resolved", raised + timedelta(hours=2), 3))
    writer.flush()
