"""Regions: placing a report by its division code (even unknown) or by village name text."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import minqing.regions
from minqing.errors import ConfigError
from minqing.records import Place
from minqing.regions import Regions, name_variants

FENGQIAO = "330681109"  # 枫桥镇
FENGYUAN = "330681109290"  # 枫源村委会
TIANZHU = "330681109002"  # 天竺社区居委会


def test_doctests() -> None:
    result = doctest.testmod(minqing.regions)
    assert result.attempted >= 3 and result.failed == 0


def test_demo_region_file_loads(regions: Regions) -> None:
    assert regions.name("330681") == "诸暨市"
    assert regions.name(FENGQIAO) == "枫桥镇"
    assert len(regions.townships()) >= 20
    assert {r.code for r in regions.villages(FENGQIAO)} >= {FENGYUAN, TIANZHU}
    assert all(r.parent_code == FENGQIAO for r in regions.villages(FENGQIAO))


def test_locate_by_village_code(regions: Regions) -> None:
    assert regions.locate(FENGYUAN, None) == Place(
        village=FENGYUAN, township=FENGQIAO, county="330681", name="枫源村委会"
    )


def test_locate_by_township_code(regions: Regions) -> None:
    assert regions.locate(FENGQIAO, None) == Place(
        village=None, township=FENGQIAO, county="330681", name="枫桥镇"
    )


def test_locate_by_county_code(regions: Regions) -> None:
    assert regions.locate("330681", None) == Place(county="330681", name="诸暨市")


@pytest.mark.parametrize(
    ("code", "village", "township", "county"),
    [
        ("330681109999", "330681109999", "330681109", "330681"),
        ("330681999", None, "330681999", "330681"),
        ("110105", None, None, "110105"),
        ("110105001002", "110105001002", "110105001", "110105"),
    ],
)
def test_unknown_codes_place_by_structure(
    regions: Regions, code: str, village: str | None, township: str | None, county: str
) -> None:
    place = regions.locate(code, None)
    assert (place.village, place.township, place.county) == (village, township, county)
    assert place.name is None


def test_unknown_code_keeps_the_text_as_name(regions: Regions) -> None:
    assert regions.locate("330681109999", "新村口").name == "新村口"


def test_code_wins_over_text(regions: Regions) -> None:
    assert regions.locate(FENGYUAN, "天竺社区门口").village == FENGYUAN


def test_locate_by_full_village_name(regions: Regions) -> None:
    place = regions.locate(None, "枫源村委会旁边的工厂")
    assert place.village == FENGYUAN and place.township == FENGQIAO
    assert place.name == "枫源村委会"


def test_locate_by_short_village_name(regions: Regions) -> None:
    """People write 枫源村, not 枫源村委会."""
    place = regions.locate(None, "枫源村村口化工厂")
    assert place.village == FENGYUAN
    assert place.township == FENGQIAO and place.county == "330681"
    assert place.name == "枫源村委会"


def test_locate_by_short_form_of_a_long_village_name() -> None:
    r = Regions.from_rows([("330681109201", "枫溪村村民委员会", "330681109", "village")])
    assert r.locate(None, "枫溪村口的工厂").village == "330681109201"


def test_township_and_village_in_text_place_the_village(regions: Regions) -> None:
    assert regions.locate(None, "枫桥镇枫源村村口化工厂").village == FENGYUAN


def test_locate_by_short_community_name(regions: Regions) -> None:
    assert regions.locate(None, "天竺社区3幢楼下").village == TIANZHU


def test_locate_by_township_name_only(regions: Regions) -> None:
    place = regions.locate(None, "枫桥镇政府门口")
    assert place.village is None and place.township == FENGQIAO


def test_text_that_names_no_region(regions: Regions) -> None:
    assert regions.locate(None, "不知道在哪里") == Place(name="不知道在哪里")
    assert regions.locate(None, None) == Place()
    assert regions.locate(None, "") == Place()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("枫溪村村民委员会", {"枫溪村村民委员会", "枫溪村"}),
        ("枫源村委会", {"枫源村委会", "枫源村"}),
        ("天竺社区居委会", {"天竺社区居委会", "天竺社区"}),
        ("海角社区", {"海角社区"}),
        ("枫桥镇", {"枫桥镇"}),
        ("洄村委会", {"洄村委会", "洄村"}),
    ],
)
def test_name_variants(name: str, expected: set[str]) -> None:
    assert name_variants(name) == expected


def test_longest_name_wins() -> None:
    r = Regions.from_rows(
        [
            ("330681", "诸暨市", "3306", "county"),
            ("330681119", "白湖镇", "330681", "township"),
            ("330681120", "东白湖镇", "330681", "township"),
        ]
    )
    assert r.locate(None, "东白湖镇的水库").township == "330681120"


def test_add_csv_and_bad_csv(tmp_path: Path) -> None:
    good = tmp_path / "r.csv"
    good.write_text(
        "code,name,parent_code,level\n110105,朝阳区,1101,county\n"
        "110105001,建外街道,110105,township\n",
        encoding="utf-8",
    )
    r = Regions.from_csv(good)
    assert r.locate(None, "建外街道").township == "110105001"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n1,x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="code,name,parent_code,level"):
        Regions.from_csv(bad)
    with pytest.raises(ConfigError, match="区划"):
        Regions.from_csv(tmp_path / "missing.csv")
