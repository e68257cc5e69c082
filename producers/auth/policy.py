"""Rules the lifecycle endpoints share: who takes which step, what a silence may cover.

Analysts (the joint-conference office) take every step; a responsible unit the
steps of handling (acknowledge, start, resolve); leaders read only. A silence
must lie inside the caller's scope; a county-wide one (by category only) quiets
alerts in every region and needs an unrestricted caller (admin).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from minqing.records import ActionKind
from producers.auth.deps import problem
from producers.auth.models import Principal, Role
from warehouse.scope import ScopeFilter

OFFICE: tuple[Role, ...] = ("analyst", "admin")
HANDLERS: tuple[Role, ...] = ("analyst", "unit_handler", "admin")
ACTION_ROLES: dict[ActionKind, tuple[Role, ...]] = {
    "acknowledge": HANDLERS, "assign": OFFICE, "start": HANDLERS, "resolve": HANDLERS,
    "follow_up": OFFICE, "close": OFFICE, "reopen": OFFICE,
}  # fmt: skip
CaseLookup = Callable[[str, ScopeFilter | None], Any]


def may_silence(who: Principal, matter_id: str | None, region: str | None,
                case: CaseLookup) -> None:  # fmt: skip
    """Raise 403/404 unless the caller may silence this matter / region / category."""
    if who.scope is None:
        return
    if matter_id and case(matter_id, who.scope) is None:
        raise problem(404, "no such matter", "未找到该事项", "matter_id")
    if region and not who.covers_region(region):
        raise problem(403, "this region is outside your scope", "该区域不在您的权限范围内",
                      "region")  # fmt: skip
    if not (matter_id or region):
        raise problem(403, "a county-wide silence needs an admin", "全域屏蔽须由管理员设置",
                      "category")  # fmt: skip


def in_range(at: datetime, name: str) -> datetime:
    """``at`` if the warehouse can compare it (DateTime spans 1970..2105), else 422."""
    if 1970 < at.year < 2105:
        return at
    raise problem(422, f"{name} must be between 1971 and 2104",
                  f"{name} 须在1971至2104年之间", name)  # fmt: skip
