"""The record schema: the one intake contract shared by the API, files and topics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from minqing.config import Config
from minqing.records import (
    LEVELS,
    REPORT_FIELDS,
    Accepted,
    Category,
    DeadLetter,
    Level,
    Place,
    Report,
    Signal,
    from_bytes,
    report_dict,
)

MINIMAL: dict[str, Any] = {"informant_id": "inf-1", "title": "标题", "content": "内容"}


def invalid_fields(data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as info:
        Report.model_validate(data)
    return {str(e["loc"][0]) for e in info.value.errors()}


def test_report_has_exactly_the_contract_fields_in_order() -> None:
    assert tuple(Report.model_fields) == REPORT_FIELDS
    assert REPORT_FIELDS == (
        "report_id",
        "received_at",
        "informant_id",
        "region_code",
        "region_text",
        "category",
        "title",
        "content",
        "people_involved",
        "signals",
        "channel",
    )


def test_minimal_report_gets_defaults() -> None:
    r = Report.model_validate(MINIMAL)
    assert r.report_id is None and r.received_at is None
    assert r.signals == [] and r.channel == "form" and r.people_involved is None


def test_unknown_field_is_rejected() -> None:
    assert invalid_fields({**MINIMAL, "phone": "138"}) == {"phone"}


@pytest.mark.parametrize("field", ["informant_id", "title", "content"])
def test_required_fields(field: str) -> None:
    data = {k: v for k, v in MINIMAL.items() if k != field}
    assert invalid_fields(data) == {field}


@pytest.mark.parametrize("value", ["10", 10.0, 10.5, True, "ten"])
def test_people_involved_is_a_strict_int(value: object) -> None:
    assert invalid_fields({**MINIMAL, "people_involved": value}) == {"people_involved"}


def test_people_involved_is_not_negative() -> None:
    assert invalid_fields({**MINIMAL, "people_involved": -1}) == {"people_involved"}
    assert Report.model_validate({**MINIMAL, "people_involved": 0}).people_involved == 0


def test_strict_int_also_from_json() -> None:
    body = '{"informant_id": "a", "title": "t", "content": "c", "people_involved": "10"}'
    with pytest.raises(ValidationError):
        Report.model_validate_json(body)


def test_content_of_2000_chars_is_accepted_3000_rejected() -> None:
    assert len(Report.model_validate({**MINIMAL, "content": "长" * 2000}).content) == 2000
    assert invalid_fields({**MINIMAL, "content": "长" * 3000}) == {"content"}


def test_title_limits() -> None:
    assert invalid_fields({**MINIMAL, "title": ""}) == {"title"}
    assert invalid_fields({**MINIMAL, "title": "题" * 101}) == {"title"}


@pytest.mark.parametrize("category", get_args(Category))
def test_every_category_literal_is_accepted(category: str) -> None:
    assert Report.model_validate({**MINIMAL, "category": category}).category == category


@pytest.mark.parametrize("category", ["riot", "Environment", ""])
def test_unknown_category_is_rejected(category: str) -> None:
    assert invalid_fields({**MINIMAL, "category": category}) == {"category"}


def test_signals_are_literals() -> None:
    signals = list(get_args(Signal))
    assert Report.model_validate({**MINIMAL, "signals": signals}).signals == signals
    assert invalid_fields({**MINIMAL, "signals": ["gathering", "riot"]}) == {"signals"}
    assert invalid_fields({**MINIMAL, "signals": "gathering"}) == {"signals"}


def test_config_labels_cover_exactly_the_literals(config: Config) -> None:
    assert set(config.categories) == set(get_args(Category))
    assert set(config.signals) == set(get_args(Signal))
    assert tuple(config.levels) == LEVELS == get_args(Level)


@pytest.mark.parametrize("code", ["330681", "330681109", "330681109290"])
def test_region_code_of_6_9_or_12_digits(code: str) -> None:
    assert Report.model_validate({**MINIMAL, "region_code": code}).region_code == code


@pytest.mark.parametrize("code", ["33068", "3306811", "3306811092901", "33068a", " 330681"])
def test_region_code_of_other_shapes_is_rejected(code: str) -> None:
    assert invalid_fields({**MINIMAL, "region_code": code}) == {"region_code"}


def test_received_at_must_carry_a_timezone() -> None:
    assert invalid_fields({**MINIMAL, "received_at": "2024-05-01T08:00:00"}) == {"received_at"}
    r = Report.model_validate({**MINIMAL, "received_at": "2024-05-01T08:00:00+08:00"})
    assert r.received_at == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


def test_records_are_frozen(make_report: Callable[..., Report]) -> None:
    r = make_report()
    with pytest.raises(ValidationError):
        r.title = "changed"  # type: ignore[misc]


def test_bytes_round_trip(make_report: Callable[..., Report]) -> None:
    r = make_report(signals=["gathering", "blocking"], people_involved=60)
    assert from_bytes(Report, r.to_bytes()) == r
    assert from_bytes(Report, r.to_bytes().decode()) == r


def test_report_dict_is_the_json_contract(make_report: Callable[..., Report]) -> None:
    r = make_report()
    d = report_dict(r)
    assert list(d) == list(REPORT_FIELDS)
    assert isinstance(d["received_at"], str) and d["received_at"].endswith("Z")


def test_accepted_round_trip(make_accepted: Callable[..., Accepted]) -> None:
    a = make_accepted()
    assert from_bytes(Accepted, a.to_bytes()) == a
    assert isinstance(a.place, Place)


def test_from_bytes_rejects_another_record(make_accepted: Callable[..., Accepted]) -> None:
    with pytest.raises(ValidationError):
        from_bytes(DeadLetter, make_accepted().to_bytes())
