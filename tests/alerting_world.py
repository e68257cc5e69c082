"""Shared builders for the alerting tests: a small routing tree, alerts, actions, ticks.

Plain functions (not fixtures), so the models, notify, streams and API tests
share one world: 枫桥镇 (330681109) with a lead unit, a co-unit for environment,
an area leader, the county office and the city.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from minqing.records import (
    Alert,
    AlertAction,
    AlertEvent,
    AlertingInput,
    AlertOut,
    Assignment,
    Level,
    MatterSeen,
)  # fmt: skip
from models.casework import CaseModel
from models.deadlines import DeadlineConfig, Deadlines
from models.routing import Router, RoutingConfig

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
FENGQIAO = "330681109"
MID = "M5573e39b6600"
_ids = itertools.count(1)

ROUTING: dict[str, Any] = {
    "city": "city",
    "route": {"name": "诸暨市", "region": "330681", "office": "office", "lead_unit": "office",
              "routes": [{"name": "枫桥镇", "region": FENGQIAO, "lead_unit": "fengqiao",
                          "routes": [{"categories": ["environment"], "co_units": ["eco"]}]}]},
    "leaders": {"leader": {"name": "陈副市长", "areas": [FENGQIAO]}},
    "joint_conference": {"categories": ["demolition"], "queue": "jc"},
}  # fmt: skip


def router() -> Router:
    return Router(RoutingConfig.model_validate(ROUTING))


def case_model(cfg: DeadlineConfig | None = None) -> CaseModel:
    return CaseModel(router(), Deadlines(cfg or DeadlineConfig()))


def alert_out(level: Level = "red", version: int = 1, at: datetime = T0, matter_id: str = MID,
              category: str = "environment", township: str = FENGQIAO) -> AlertOut:  # fmt: skip
    alert = Alert(
        alert_id="A" + matter_id[1:], matter_id=matter_id, version=version, level=level,
        risk=0.9, status="raised", title="化工厂夜间偷排废水", category=category,
        township=township, explanation="5名信息员反映", raised_at=T0, updated_at=at,
    )  # fmt: skip
    kind = "raised" if version == 1 else "level_changed"
    event = AlertEvent(event_id=f"{alert.alert_id}-{version}", alert_id=alert.alert_id,
                       matter_id=matter_id, kind=kind, level=level, at=at)  # fmt: skip
    return AlertOut(alert=alert, event=event)


def alert_input(**kw: Any) -> AlertingInput:
    out = alert_out(**kw)
    return AlertingInput(kind="alert", at=out.alert.updated_at, alert=out)


def action(name: str, at: datetime, actor: str = "wang", matter_id: str = MID,
           **kw: Any) -> AlertingInput:  # fmt: skip
    if "lead_unit" in kw:
        kw["assignment"] = Assignment(
            lead_unit=kw.pop("lead_unit"), co_units=kw.pop("co_units", []),
            leaders=kw.pop("leaders", []),
        )  # fmt: skip
    act = AlertAction(action_id=f"act-{next(_ids)}", matter_id=matter_id, action=name,  # type: ignore[arg-type]
                      actor=actor, at=at, **kw)  # fmt: skip
    return AlertingInput(kind="action", at=at, action=act)


def grown(version: int, at: datetime, matter_id: str = MID,
          merged_from: list[str] | None = None) -> AlertingInput:  # fmt: skip
    seen = MatterSeen(matter_id=matter_id, version=version, n_reports=version, last_seen=at,
                      merged_from=merged_from or [])  # fmt: skip
    return AlertingInput(kind="matter", at=at, matter=seen)


def tick(at: datetime) -> AlertingInput:
    return AlertingInput(kind="tick", at=at)


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)
