"""Factories for the models tests: tiny region table, reports, accepted reports, matters.

Tests get these through fixtures only (never ``import conftest``), so they work
whether or not tests/ becomes a package; values a test relies on it spells out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from minqing.config import Config, RegionConfig
from minqing.records import Accepted, Matter, Report
from minqing.regions import Regions

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=CST)

# 枫桥镇 with two villages, 赵家镇 with one: enough to test township rules.
FENGQIAO, ZHAOJIA = "330681109", "330681110"
FENGXI, CHENJIA, ZHAOJIA_CUN = "330681109201", "330681109202", "330681110201"

POLLUTION = (
    "化工厂夜间偷排废水，河水发黑发臭",
    "村口化工厂每天夜里往河里偷排废水，河水发黑发臭，村民不敢用水，已经有几十户反映。",
)


@pytest.fixture
def regions() -> Regions:
    return Regions.from_rows([
        ("330681", "诸暨市", "3306", "county"),
        (FENGQIAO, "枫桥镇", "330681", "township"),
        (ZHAOJIA, "赵家镇", "330681", "township"),
        (FENGXI, "枫溪村村民委员会", FENGQIAO, "village"),
        (CHENJIA, "陈家村村民委员会", FENGQIAO, "village"),
        (ZHAOJIA_CUN, "赵家村村民委员会", ZHAOJIA, "village"),
    ])  # fmt: skip


@pytest.fixture
def config() -> Config:
    region = RegionConfig(file="unused.csv", county_code="330681")
    return Config(region=region, categories={}, signals={}, levels={})


def report(**overrides: Any) -> Report:
    data: dict[str, Any] = {
        "report_id": "r1",
        "received_at": T0,
        "informant_id": "inf-1",
        "region_code": FENGXI,
        "category": "environment",
        "title": POLLUTION[0],
        "content": POLLUTION[1],
        "channel": "form",
    }
    data.update(overrides)
    return Report.model_validate(data)


@pytest.fixture
def make_report() -> Callable[..., Report]:
    """``make_report(**overrides)``: a valid report about a polluting factory in 枫溪村."""
    return report


@pytest.fixture
def make_accepted(regions: Regions) -> Callable[..., Accepted]:
    """``make_accepted(**report_overrides)``: the report placed by the tiny region table."""

    def make(**overrides: Any) -> Accepted:
        r = report(**overrides)
        return Accepted(report=r, place=regions.locate(r.region_code, r.region_text))

    return make


@pytest.fixture
def make_matter() -> Callable[..., Matter]:
    """``make_matter(**overrides)``: a one-report matter snapshot."""

    def make(**overrides: Any) -> Matter:
        data: dict[str, Any] = {
            "matter_id": "M000000000001", "version": 1, "title": POLLUTION[0],
            "category": "environment", "township": FENGQIAO, "county": "330681",
            "n_reports": 1, "n_informants": 1, "n_villages": 1, "people_max": 0,
            "signals": [], "first_seen": T0, "last_seen": T0,
        }  # fmt: skip
        data.update(overrides)
        return Matter.model_validate(data)

    return make
