"""Bilingual, per-field messages for invalid input.

>>> from minqing.records import Report
>>> errs = explain_report({"informant_id": "a", "title": "t", "content": "c", "category": "x"})
>>> errs[0].field, "category" in errs[0].message_en
('category', True)
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from minqing.records import FieldError, Report

FIELD_ZH = {
    "body": "请求体",
    "report_id": "报告编号",
    "received_at": "接收时间",
    "informant_id": "信息员编号",
    "region_code": "区划代码",
    "region_text": "地点",
    "category": "类别",
    "title": "标题",
    "content": "内容",
    "people_involved": "涉及人数",
    "signals": "风险信号",
    "channel": "渠道",
}

# pydantic error type -> Chinese wording; English comes from pydantic itself.
TYPE_ZH = {
    "missing": "为必填项",
    "json_invalid": "不是有效的 JSON",
    "string_too_long": "过长",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确（应为6、9或12位数字区划代码）",
    "literal_error": "取值不在允许范围内",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "greater_than_equal": "不能为负数",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "datetime_parsing": "应为带时区的 ISO 8601 时间",
    "datetime_type": "应为带时区的 ISO 8601 时间",
    "timezone_aware": "必须带时区",
    "extra_forbidden": "不是可接受的字段",
    "model_type": "应为 JSON 对象",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return ".".join(parts) or "body"


def explain(err: ValidationError, names: dict[str, str] | None = None,
            pattern_zh: str | None = None) -> list[FieldError]:  # fmt: skip
    """One bilingual message per invalid field; ``names`` and ``pattern_zh`` word the Chinese
    for bodies other than a report (their field names, what their patterns mean).

    >>> from pydantic import BaseModel, Field
    >>> class Ask(BaseModel):
    ...     reason: str = Field(min_length=1)
    >>> try:
    ...     Ask.model_validate({"reason": ""})
    ... except ValidationError as e:
    ...     explain(e, {"reason": "理由"})[0].message_zh
    '理由不能为空'
    """
    zh_names = FIELD_ZH if names is None else names
    out: list[FieldError] = []
    for e in err.errors():
        field = _field_name(tuple(e["loc"]))
        top = field.split(".")[0]
        zh = TYPE_ZH.get(e["type"], "无效")
        if pattern_zh is not None and e["type"] == "string_pattern_mismatch":
            zh = pattern_zh
        limit = (e.get("ctx") or {}).get("max_length")
        if limit is not None:
            zh = f"过长（最多{limit}个字符）"
        out.append(FieldError(field=field, message_en=f"{field}: {e['msg']}",
                              message_zh=f"{zh_names.get(top, top)}{zh}"))  # fmt: skip
    return out


def explain_report(data: Any) -> list[FieldError]:
    """Validate a report dict; [] when valid."""
    try:
        Report.model_validate(data)
    except ValidationError as e:
        return explain(e)
    return []
