"""Bilingual, per-field messages for invalid reports."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from minqing.records import REPORT_FIELDS, FieldError, Report
from minqing.validation import FIELD_ZH, explain, explain_report

MINIMAL: dict[str, Any] = {"informant_id": "inf-1", "title": "标题", "content": "内容"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def errors_of(data: Any) -> dict[str, FieldError]:
    with pytest.raises(ValidationError) as info:
        Report.model_validate(data)
    return {e.field: e for e in explain(info.value)}


def test_every_report_field_has_a_chinese_name() -> None:
    assert set(FIELD_ZH) == {*REPORT_FIELDS, "body"}


def test_one_message_per_invalid_field_in_both_languages() -> None:
    errs = errors_of({**MINIMAL, "people_involved": "many", "category": "riot"})
    assert set(errs) == {"people_involved", "category"}
    people, category = errs["people_involved"], errs["category"]
    assert people.message_en.startswith("people_involved:")
    assert "integer" in people.message_en
    assert people.message_zh == "涉及人数应为整数"
    assert category.message_en.startswith("category:")
    assert "environment" in category.message_en  # the allowed values are listed
    assert category.message_zh == "类别取值不在允许范围内"
    for e in errs.values():
        assert HAN.search(e.message_zh) and not HAN.search(e.message_en)


def test_too_long_names_the_limit() -> None:
    errs = errors_of({**MINIMAL, "content": "长" * 3000})
    assert errs["content"].message_zh == "内容过长（最多2000个字符）"
    assert "2000" in errs["content"].message_en


def test_missing_fields() -> None:
    errs = errors_of({})
    assert set(errs) == {"informant_id", "title", "content"}
    assert errs["title"].message_zh == "标题为必填项"
    assert "required" in errs["title"].message_en.lower()


def test_list_items_are_named_by_their_field() -> None:
    errs = errors_of({**MINIMAL, "signals": ["gathering", "riot"]})
    assert set(errs) == {"signals"}
    assert errs["signals"].message_zh.startswith("风险信号")


def test_unknown_field_and_naive_time() -> None:
    errs = errors_of({**MINIMAL, "phone": "138", "received_at": "2024-05-01T08:00:00"})
    assert errs["phone"].message_zh == "phone不是可接受的字段"
    assert errs["received_at"].message_zh == "接收时间必须带时区"


def test_negative_people_and_bad_region_code() -> None:
    errs = errors_of({**MINIMAL, "people_involved": -3, "region_code": "12345"})
    assert errs["people_involved"].message_zh == "涉及人数不能为负数"
    assert "区划代码" in errs["region_code"].message_zh
    assert "12" in errs["region_code"].message_zh


def test_non_object_is_explained_on_the_body() -> None:
    errs = errors_of(["not", "an", "object"])
    assert set(errs) == {"body"}
    assert "JSON" in errs["body"].message_zh


def test_explain_report() -> None:
    assert explain_report(MINIMAL) == []
    errs = explain_report({**MINIMAL, "category": "x"})
    assert [e.field for e in errs] == ["category"]
