"""Normalisation at intake: idempotent, never longer, within the record's limits, no phone left.

Text is drawn from an alphabet rich in what the masking patterns look for:
digits (also full-width), separators, plate letters, province characters,
white space of every kind, and ordinary Chinese.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from minqing.normalise import normalise
from minqing.records import Report

ALPHABET = st.sampled_from(
    list("0123456789") * 4 + list("０１２３４５６７８９") + list(" -.·\t\n\u3000")
    + list("浙京沪粤DAXx+") + list("村口化工厂排污欠薪电话身份证")
)  # fmt: skip
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(ALPHABET, min_size=min_size, max_size=max_size)


reports = st.builds(
    Report,
    informant_id=st.just("inf-1"),
    title=text(100, 1).filter(lambda s: s.strip() != ""),
    content=text(2000),
    region_text=st.none() | text(200),
)


@settings(max_examples=300, deadline=None)
@given(reports)
def test_normalise_is_idempotent(report: Report) -> None:
    once = normalise(report)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(reports)
def test_normalise_never_lengthens_and_keeps_the_limits(report: Report) -> None:
    n = normalise(report)
    assert len(n.title) <= len(report.title) <= 100
    assert len(n.content) <= len(report.content) <= 2000
    assert len(n.region_text or "") <= len(report.region_text or "") <= 200
    Report.model_validate(n.model_dump())  # still a valid record


@settings(max_examples=300, deadline=None)
@given(reports)
def test_no_mobile_number_survives(report: Report) -> None:
    n = normalise(report)
    for field in (n.title, n.content, n.region_text or ""):
        assert not MOBILE.search(field.translate(FULLWIDTH)), field


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["gathering", "blocking", "collective_petition"]), max_size=6))
def test_signals_come_out_sorted_and_unique(signals: list[str]) -> None:
    r = Report(informant_id="i", title="t", content="c", signals=signals)  # type: ignore[arg-type]
    assert normalise(r).signals == sorted(set(signals))
