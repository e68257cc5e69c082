"""Personal numbers are masked in realistic variants; ordinary numbers are kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minqing.normalise import normalise
from minqing.privacy import mask_pii
from minqing.records import Report

FULL = str.maketrans("0123456789-X ", "０１２３４５６７８９－Ｘ　")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("13812345678", "[电话]"),
        ("138 1234 5678", "[电话]"),
        ("138-1234-5678", "[电话]"),
        ("+86 138 1234 5678", "[电话]"),
        ("0575-87123456", "[电话]"),
        ("330681198001011234", "[身份证号]"),
        ("33068119800101123X", "[身份证号]"),
        ("330681 19800101 123x", "[身份证号]"),
        ("6222 0212 3456 7890 123", "[银行卡号]"),
        ("6222-0212-3456-7890", "[银行卡号]"),
        ("6222021234567890", "[银行卡号]"),
        ("浙D12345", "[车牌]"),
        ("浙D·A1234B", "[车牌]"),
        ("苏E 8Z888", "[车牌]"),
    ],
)
def test_variants_are_masked(text: str, label: str) -> None:
    assert mask_pii(f"联系：{text}。") == f"联系：{label}。"
    assert mask_pii(f"联系：{text.translate(FULL)}。") == f"联系：{label}。"


@pytest.mark.parametrize(
    "text",
    ["2020年1月1日", "共500人", "欠薪12345678元", "第20191201号文件", "3栋2单元1102室", "2号楼"],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask_pii(text) == text


@given(st.text(alphabet="村民反映工厂欠薪元月日号 ，。0123456789", max_size=60))
def test_masking_never_lengthens_or_leaks_long_digit_runs(text: str) -> None:
    out = mask_pii(text)
    assert len(out) <= len(text) + 6  # a label may replace a short number, never grow much
    assert mask_pii(out) == out  # idempotent


def test_normalise_masks_every_free_text_field() -> None:
    report = Report(
        informant_id="i",
        title="张三 13812345678 反映",
        content="身份证330681198001011234，车牌浙D12345",
        region_text="联系 0575-87123456",
    )
    out = normalise(report)
    assert "13812345678" not in out.title
    assert "[身份证号]" in out.content and "[车牌]" in out.content
    assert out.region_text == "联系 [电话]"
