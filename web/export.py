"""CSV and Excel export of the lists the pages show, with Chinese or English headers.

CSV is UTF-8 with a BOM so Excel on Windows opens Chinese correctly. Text that
starts like a formula is prefixed with ``'`` (CSV/formula injection: a report
title is typed by the public).

>>> safe_cell("=HYPERLINK(1)"), safe_cell("正常"), safe_cell(-1)
("'=HYPERLINK(1)", '正常', -1)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Row = dict[str, Any]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

STATUS_ZH = {
    "raised": "新预警",
    "acknowledged": "已确认",
    "assigned": "已交办",
    "in_progress": "办理中",
    "resolved": "已办结",
    "followed_up": "已回访",
    "closed": "已结案",
    "reopened": "已重新打开",
    "silenced": "已静默",
}

# list name -> [(key, Chinese header, English header)]
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "alerts": [
        ("alert_id", "预警编号", "Alert ID"),
        ("matter_id", "事项编号", "Matter ID"),
        ("level", "等级", "Level"),
        ("risk", "风险值", "Risk"),
        ("status", "状态", "Status"),
        ("title", "标题", "Title"),
        ("category", "类别", "Category"),
        ("township_name", "镇街", "Township"),
        ("explanation", "研判依据", "Factors"),
        ("raised_at", "预警时间", "Raised at"),
        ("deadline", "办理时限", "Deadline"),
        ("overdue", "是否超期", "Overdue"),
    ],
    "matters": [
        ("matter_id", "事项编号", "Matter ID"),
        ("title", "标题", "Title"),
        ("category", "类别", "Category"),
        ("township_name", "镇街", "Township"),
        ("n_reports", "报告数", "Reports"),
        ("n_informants", "信息员数", "Informants"),
        ("n_villages", "涉及村社数", "Villages"),
        ("people_max", "涉及人数", "People"),
        ("keywords", "关键词", "Keywords"),
        ("signals", "行动意图", "Signals"),
        ("first_seen", "首次报告", "First seen"),
        ("last_seen", "最近报告", "Last seen"),
    ],
    "reports": [
        ("report_id", "报告编号", "Report ID"),
        ("received_at", "收到时间", "Received at"),
        ("title", "标题", "Title"),
        ("village_name", "村社", "Village"),
        ("township_name", "镇街", "Township"),
    ],
    "trends": [
        ("day", "日期", "Day"),
        ("series", "指标", "Series"),
        ("key", "分组", "Group"),
        ("n", "数量", "Count"),
    ],
    "townships": [
        ("code", "区划代码", "Code"),
        ("name", "镇街", "Township"),
        ("open_alerts", "未办结预警", "Open alerts"),
        ("overdue", "超期", "Overdue"),
        ("level", "最高等级", "Highest level"),
        ("max_risk", "最高风险值", "Highest risk"),
        ("reports_7d", "近7天报告", "Reports (7 days)"),
    ],
    "kpi": [("figure", "指标", "Figure"), ("value", "数值", "Value")],
}


SERIES = {
    "reports_by_category": ("每日报告（按类别）", "Reports by category", "category"),
    "reports_by_township": ("每日报告（按镇街）", "Reports by township", ""),
    "alerts_by_level": ("每日新增预警（按等级）", "New alerts by level", "level"),
    "new_matters": ("每日新增事项", "New matters", ""),
}
KPI_NAMES = {
    "reports.day": ("近24小时报告", "Reports, 24 h"),
    "reports.week": ("近7天报告", "Reports, 7 days"),
    "reports.month": ("近30天报告", "Reports, 30 days"),
    "reports.collective": (
        "表示要集体上访的报告（30天）",
        "Reports stating a collective petition (30 days)",
    ),
    "reports.with_signals": ("提及行动意图的报告（30天）", "Reports stating an intent (30 days)"),
    "matters.active": ("活跃事项", "Active matters"),
    "matters.new": ("新增事项", "New matters"),
    "alerts.alerts_total": ("预警总数", "Alerts"),
    "alerts.overdue": ("超期预警", "Overdue alerts"),
    "alerts.resolution_rate": ("化解率", "Resolution rate"),
    "alerts.on_time_completion_rate": ("按期办结率", "On-time completion rate"),
    "alerts.on_time_response_rate": ("按时响应率", "On-time response rate"),
    "satisfaction_rate": ("满意率", "Satisfaction rate"),
}


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Formatter:
    """Turns raw values into what a person reads in a spreadsheet, in one language."""

    def __init__(self, lang: str, tz: str, labels: Mapping[str, Mapping[str, str]]) -> None:
        self.zh = lang != "en"
        self.tz = ZoneInfo(tz)
        self.labels = labels

    def header(self, list_name: str) -> list[str]:
        return [zh if self.zh else en for _, zh, en in COLUMNS[list_name]]

    def cell(self, key: str, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, list):
            return "、".join(str(self.cell(key, v)) for v in value)
        if isinstance(value, bool):
            return ("是" if value else "否") if self.zh else ("yes" if value else "no")
        if isinstance(value, str) and key in {"raised_at", "deadline", "first_seen", "last_seen"}:
            return self.local_time(value)
        if isinstance(value, str) and key == "received_at":
            return self.local_time(value)
        if self.zh and key in self.labels and isinstance(value, str):
            return self.labels[key].get(value, value)
        return safe_cell(value)

    def local_time(self, iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def rows(self, list_name: str, rows: Iterable[Row]) -> Iterable[list[Any]]:
        keys = [k for k, _, _ in COLUMNS[list_name]]
        for row in rows:
            named = self.named(list_name, row)
            yield [self.cell(k, named.get(k)) for k in keys]

    def named(self, list_name: str, row: Row) -> Row:
        """Figure and series names in the reader's language (the rows carry codes)."""
        if list_name == "kpi":
            zh, en = KPI_NAMES.get(row["figure"], (row["figure"], row["figure"]))
            return {**row, "figure": zh if self.zh else en}
        if list_name == "trends" and row.get("series") in SERIES:
            zh, en, label_key = SERIES[row["series"]]
            key = row["key"]
            if self.zh and label_key:
                key = self.labels[label_key].get(key, key)
            return {**row, "series": zh if self.zh else en, "key": key}
        return row


def to_csv(fmt: Formatter, list_name: str, rows: Iterable[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(fmt.header(list_name))
    writer.writerows(fmt.rows(list_name, rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(fmt: Formatter, list_name: str, rows: Iterable[Row]) -> bytes:
    from openpyxl import Workbook  # imported here: only exports need it

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=list_name)
    ws.append(fmt.header(list_name))
    for values in fmt.rows(list_name, rows):
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


WRITERS: dict[str, Callable[[Formatter, str, Iterable[Row]], bytes]] = {
    "csv": to_csv,
    "xlsx": to_xlsx,
}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
