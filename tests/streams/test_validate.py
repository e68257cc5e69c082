"""streams.validate: raw topic bytes -> Accepted (placed, with receipt) or a DeadLetter."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from minqing.receipts import receipt_for
from minqing.records import Accepted, DeadLetter, Report
from minqing.regions import Regions
from streams.validate import accept, dead_letter, normalise

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TOPIC = "reports.raw"
SECRET = "k"
FENGYUAN = "330681109290"


@pytest.fixture
def run(regions: Regions) -> Callable[[bytes], Accepted | DeadLetter]:
    return lambda raw: accept(raw, TOPIC, regions, SECRET, NOW)


def test_valid_report_is_accepted_placed_with_receipt(
    run: Callable[[bytes], Accepted | DeadLetter], make_report: Callable[..., Report]
) -> None:
    report = make_report(region_code=FENGYUAN)
    out = run(report.to_bytes())
    assert isinstance(out, Accepted)
    assert out.report == report
    assert out.place.village == FENGYUAN and out.place.township == "330681109"
    assert out.place.county == "330681" and out.place.name == "枫源村委会"
    assert report.report_id is not None
    assert out.receipt == receipt_for(report.report_id, SECRET)


def test_report_placed_by_its_text(
    run: Callable[[bytes], Accepted | DeadLetter], make_report: Callable[..., Report]
) -> None:
    out = run(make_report(region_code=None, region_text="枫源村村口").to_bytes())
    assert isinstance(out, Accepted) and out.place.village == FENGYUAN


def test_malformed_json_is_a_dead_letter(run: Callable[[bytes], Accepted | DeadLetter]) -> None:
    raw = b'{"report_id": "r1", "title": '
    out = run(raw)
    assert isinstance(out, DeadLetter)
    assert out.reason_en == "malformed JSON" and out.reason_zh == "JSON 格式错误"
    assert out.payload == raw.decode()
    assert out.topic == TOPIC and out.dlq_id.startswith(f"{TOPIC}:")
    assert out.at == NOW
    assert [e.field for e in out.errors] == ["body"]


def test_binary_garbage_is_a_dead_letter(run: Callable[[bytes], Accepted | DeadLetter]) -> None:
    out = run(b"\xff\xfe\x00garbage")
    assert isinstance(out, DeadLetter) and out.reason_en == "malformed JSON"
    assert "garbage" in out.payload


def test_json_that_is_not_an_object(run: Callable[[bytes], Accepted | DeadLetter]) -> None:
    out = run(b"[1, 2, 3]")
    assert isinstance(out, DeadLetter)
    assert [e.field for e in out.errors] == ["body"]
    assert "JSON" in out.errors[0].message_zh and out.payload == "[1, 2, 3]"


def test_invalid_fields_are_a_dead_letter_with_each_field(
    run: Callable[[bytes], Accepted | DeadLetter], make_report: Callable[..., Report]
) -> None:
    data = json.loads(make_report().to_bytes())
    data.update(people_involved="many", category="riot", content="长" * 3000)
    raw = json.dumps(data, ensure_ascii=False).encode()
    out = run(raw)
    assert isinstance(out, DeadLetter)
    assert out.reason_en == "invalid report" and out.reason_zh == "报告字段无效"
    by_field = {e.field: e for e in out.errors}
    assert set(by_field) == {"people_involved", "category", "content"}
    assert by_field["people_involved"].message_zh == "涉及人数应为整数"
    assert by_field["category"].message_zh == "类别取值不在允许范围内"
    assert json.loads(out.payload) == data


@pytest.mark.parametrize("missing", [["report_id"], ["received_at"], ["report_id", "received_at"]])
def test_missing_id_or_time_on_the_topic_is_a_dead_letter(
    run: Callable[[bytes], Accepted | DeadLetter],
    make_report: Callable[..., Report],
    missing: list[str],
) -> None:
    """The intake assigns both; a message without them did not come through it."""
    report = make_report(**dict.fromkeys(missing))
    out = run(report.to_bytes())
    assert isinstance(out, DeadLetter)
    assert out.reason_en == "incomplete report" and out.reason_zh == "报告不完整"
    assert [e.field for e in out.errors] == missing
    assert all("必填" in e.message_zh for e in out.errors)


def test_the_same_payload_gets_the_same_dlq_id(
    run: Callable[[bytes], Accepted | DeadLetter],
) -> None:
    """Idempotent dead letters: a redelivery overwrites its own row in the warehouse."""
    a, b, c = run(b"{bad"), run(b"{bad"), run(b"{worse")
    assert isinstance(a, DeadLetter) and isinstance(b, DeadLetter) and isinstance(c, DeadLetter)
    assert a.dlq_id == b.dlq_id != c.dlq_id


def test_accept_normalises(
    run: Callable[[bytes], Accepted | DeadLetter], make_report: Callable[..., Report]
) -> None:
    report = make_report(title="  化工厂\t夜间  排污 ", content="第一行\n\n  第二行  ")
    out = run(report.to_bytes())
    assert isinstance(out, Accepted)
    assert out.report.title == "化工厂 夜间 排污"
    assert out.report.content == "第一行 第二行"


def test_normalise_collapses_white_space(make_report: Callable[..., Report]) -> None:
    report = make_report(
        title=" 工资\u3000 拖欠 ",
        content="  a \n\t b  ",
        region_text="  枫源村 \n 口 ",
        signals=["gathering", "blocking", "gathering"],
    )
    n = normalise(report)
    assert n.title == "工资 拖欠"  # the ideographic space is white space too
    assert n.content == "a b"
    assert n.region_text == "枫源村 口"
    assert n.signals == ["blocking", "gathering"]
    assert n.report_id == report.report_id and n.received_at == report.received_at


def test_normalise_empty_texts(make_report: Callable[..., Report]) -> None:
    n = normalise(make_report(title="   ", content=" \n ", region_text="  "))
    assert n.title == "   "  # an all-blank title is kept rather than made invalid
    assert n.content == ""
    assert n.region_text is None


def test_normalise_does_not_mutate(make_report: Callable[..., Report]) -> None:
    report = make_report(title=" a  b ")
    normalise(report)
    assert report.title == " a  b "


def test_dead_letter_keeps_undecodable_bytes_readable() -> None:
    letter = dead_letter(TOPIC, b"\xffok", "x", "无效", [], NOW)
    assert letter.payload == "\ufffdok"
