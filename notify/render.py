"""Notification texts, in Chinese first: a title, Markdown for robots and plain text for SMS.

>>> from datetime import datetime, timezone
>>> from minqing.records import Notice, Notification
>>> t = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
>>> n = Notice(notice_id="e:r", recipient="r", matter_id="M1", alert_id="A1", kind="escalated",
...            level="red", title="化工厂偷排废水", township="330681109", step=1, at=t,
...            note="ack overdue / 逾期未签收")
>>> m = render(Notification(notification_id="r:1:x", recipient="r", kind="alert",
...                         created_at=t, items=[n]))
>>> m.title
'【红色】逾期升级：化工厂偷排废水'
>>> m.text.splitlines()[0]
'[红色] 逾期升级 化工厂偷排废水 (M1) ack overdue / 逾期未签收'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minqing.records import Notice, Notification

LEVEL_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色", "none": "无"}
KIND_ZH = {
    "raised": "新预警",
    "level_changed": "预警等级变化",
    "escalated": "逾期升级",
    "assigned": "交办（一单双交）",
    "resolved": "已办结，请安排回访",
    "reopened": "事项重启",
}
TOP_FIRST = ("red", "orange", "yellow", "blue", "none")


@dataclass(frozen=True)
class Message:
    title: str
    markdown: str
    text: str


def _line(n: Notice) -> str:
    kind = KIND_ZH.get(n.kind, n.kind)
    return f"[{LEVEL_ZH[n.level]}] {kind} {n.title} ({n.matter_id}) {n.note}".strip()


def render(n: Notification, names: Mapping[str, str] | None = None) -> Message:
    """The message for a notification; a digest carries its own body."""
    who = (names or {}).get(n.recipient, n.recipient)
    if n.kind == "digest":
        title = n.body.splitlines()[0].lstrip("# ") if n.body else "每日简报"
        return Message(title, n.body, n.body.replace("**", "").replace("#", "").strip())
    items = sorted(n.items, key=lambda i: TOP_FIRST.index(i.level))
    first = items[0] if items else None
    more = f" 等{len(items)}项" if len(items) > 1 else ""
    prefix = "【提醒】" if n.kind == "reminder" else ""
    title = prefix + (
        f"【{LEVEL_ZH[first.level]}】{KIND_ZH.get(first.kind, first.kind)}：{first.title}{more}"
        if first else "民情预警"
    )  # fmt: skip
    lines = [_line(i) for i in items]
    markdown = f"### {title}\n\n" + "\n".join(f"- {x}" for x in lines) + f"\n\n> 致 {who}"
    return Message(title, markdown, "\n".join(lines))


def digest_body(leader: str, date: str, digest: dict[str, Any]) -> str:
    """Markdown of a leader's daily digest: open matters, overdue ones, top risks."""

    def rows(items: list[dict[str, Any]]) -> list[str]:
        return [f"- [{LEVEL_ZH.get(r['level'], r['level'])}] {r['title']} ({r['matter_id']}, "
                f"{r['status']}, 风险 {r['risk']:.2f})" for r in items] or ["- 无"]  # fmt: skip

    return "\n".join([
        f"### 每日简报 {date} · {leader}",
        f"**在办事项 {len(digest['open'])} 件，逾期 {len(digest['overdue'])} 件**",
        "", "**逾期事项**", *rows(digest["overdue"]),
        "", "**风险最高**", *rows(digest["top"]),
    ])  # fmt: skip
