"""The report simulator: deterministic, valid, realistic in shape (growing vs calm matters)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import count, islice
from pathlib import Path
from typing import Any, get_args

import pytest

from minqing.config import load_config
from minqing.errors import IntakeError
from minqing.records import REPORT_FIELDS, Category, Report, Signal
from minqing.regions import Regions
from producers.simulator import (
    DEFAULT_START,
    SimConfig,
    live_feed,
    live_stream,
    simulate,
    truth,
    write_jsonl,
)

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BEIJING = timezone(timedelta(hours=8))
INTENT_SIGNALS = {"collective_petition", "petition_upward", "gathering", "blocking"}
# Words that state intent, simplified and traditional (a few informants type traditional).
INTENT_WORDS = re.compile(
    "上访|上訪|越级|越級|签名|簽名|聚|围|圍|堵|横幅|橫幅|抖音|发帖|發帖|跳|农药|農藥|死在"
)

Scenario = Callable[..., list[Report]]
Matters = Callable[..., dict[str, list[Report]]]


@pytest.fixture(scope="module")
def regions() -> Regions:
    return Regions.from_csv(load_config(CONFIGS).region_file)


@pytest.fixture
def make_scenario(regions: Regions) -> Scenario:
    """simulate() with SimConfig overrides."""

    def make(**overrides: Any) -> list[Report]:
        return simulate(SimConfig(**overrides), regions)

    return make


@pytest.fixture
def make_matters(regions: Regions) -> Matters:
    """A scenario grouped by its ground-truth matter key, each matter in time order."""

    def make(**overrides: Any) -> dict[str, list[Report]]:
        cfg = SimConfig(**overrides)
        keys = truth(cfg, regions)
        out: dict[str, list[Report]] = defaultdict(list)
        for report in simulate(cfg, regions):
            out[keys[report.report_id or ""]].append(report)
        return dict(out)

    return make


def make_clock(start: datetime = DEFAULT_START, step_s: float = 2.0) -> Callable[[], datetime]:
    ticks: Iterator[int] = count()
    return lambda: start + timedelta(seconds=step_s * next(ticks))


def village_of(report: Report, regions: Regions) -> str | None:
    return regions.locate(report.region_code, report.region_text).village


def test_same_seed_gives_identical_reports(make_scenario: Scenario) -> None:
    assert make_scenario(seed=11) == make_scenario(seed=11)


def test_different_seeds_give_different_scenarios(make_scenario: Scenario) -> None:
    a, b = make_scenario(seed=1), make_scenario(seed=2)
    assert [r.content for r in a] != [r.content for r in b]


def test_report_ids_follow_seed_and_time_order(make_scenario: Scenario) -> None:
    reports = make_scenario(seed=5)
    assert [r.report_id for r in reports] == [f"sim-5-{n}" for n in range(1, len(reports) + 1)]


def test_every_report_is_a_valid_report(make_scenario: Scenario) -> None:
    for report in make_scenario():
        again = Report.model_validate_json(report.model_dump_json())
        assert again == report
        assert 0 < len(report.title) <= 100 and 0 < len(report.content) <= 2000
        assert report.category is None or report.category in get_args(Category)
        assert set(report.signals) <= set(get_args(Signal))
        assert re.fullmatch(r"inf-\d{4}", report.informant_id)
        assert report.channel in ("form", "phone", "visit")


def test_default_scenario_covers_all_categories(make_scenario: Scenario) -> None:
    seen = {r.category for r in make_scenario()}
    assert set(get_args(Category)) <= seen


def test_places_are_real_villages_or_names_that_resolve(
    make_scenario: Scenario, regions: Regions
) -> None:
    reports = make_scenario()
    coded = [r for r in reports if r.region_code]
    named_only = [r for r in reports if not r.region_code and r.region_text]
    neither = [r for r in reports if not r.region_code and not r.region_text]
    assert len(coded) > 0.7 * len(reports) and named_only and neither
    for r in coded:
        assert regions.by_code[r.region_code or ""].level == "village"
    for r in named_only:
        assert village_of(r, regions) is not None, r.region_text


def test_received_at_is_aware_and_non_decreasing(make_scenario: Scenario) -> None:
    reports = make_scenario(days=3.0)
    times = [r.received_at for r in reports if r.received_at]
    assert len(times) == len(reports)
    assert times == sorted(times)
    assert all(t.utcoffset() == timedelta(hours=8) for t in times)
    assert times[0] >= DEFAULT_START
    assert times[-1] <= DEFAULT_START + timedelta(days=4)
    # Informants report while awake.
    assert all(7 <= t.hour < 22 for t in times)


def test_growing_matters_spread_and_state_intent_late(
    make_matters: Matters, regions: Regions
) -> None:
    growing = {k: v for k, v in make_matters().items() if k.startswith("growing")}
    assert len(growing) == 12
    for key, reports in growing.items():
        first, last, half = reports[0], reports[-1], len(reports) // 2
        assert len(reports) >= 6, key
        assert not first.signals and last.signals, key
        assert not any(r.signals for r in reports[:half]), key
        assert len({r.informant_id for r in reports}) >= 3, key
        assert len({village_of(r, regions) for r in reports} - {None}) >= 2, key
        assert (first.people_involved or 0) < 30 <= (last.people_involved or 0), key
        assert all(r.category == reports[0].category for r in reports), key
        for r in reports:
            if set(r.signals) & INTENT_SIGNALS:
                assert INTENT_WORDS.search(r.content), r.content


def test_small_and_solved_matters_stay_calm(make_matters: Matters) -> None:
    calm = {k: v for k, v in make_matters().items() if k.startswith(("small", "solved"))}
    assert calm
    for key, reports in calm.items():
        assert 1 <= len(reports) <= 3, key
        assert not any(r.signals for r in reports), key
        assert all((r.people_involved or 0) <= 12 for r in reports), key
        assert len({r.informant_id for r in reports}) <= 2, key


def test_big_calm_matters_involve_many_without_intent(make_matters: Matters) -> None:
    big = {k: v for k, v in make_matters(seed=3).items() if k.startswith("big_calm")}
    assert big
    for key, reports in big.items():
        assert all((r.people_involved or 0) >= 30 and not r.signals for r in reports), key


def test_no_growing_share_means_no_signals(make_scenario: Scenario) -> None:
    reports = make_scenario(growing_share=0.0, n_matters=15)
    assert reports and not any(r.signals for r in reports)
    assert make_scenario(n_matters=0) == []


def test_wording_varies_like_real_informants(make_scenario: Scenario) -> None:
    reports = make_scenario()
    lengths = [len(r.content) for r in reports]
    assert min(lengths) < 50 and max(lengths) > 120
    assert len({r.title for r in reports}) > 0.6 * len(reports)
    assert any(re.search("[０-９]", r.content) for r in reports)  # full-width digits


def test_live_feed_escalates_within_40_reports(regions: Regions) -> None:
    matters: dict[str, list[Report]] = defaultdict(list)
    for report, key in islice(live_stream(SimConfig(), regions, make_clock()), 40):
        matters[key].append(report)
        group = matters[key]
        strong = (
            len(group) >= 5
            and len({r.informant_id for r in group}) >= 3
            and len({village_of(r, regions) for r in group} - {None}) >= 2
            and max(r.people_involved or 0 for r in group) >= 30
            and any(set(r.signals) & INTENT_SIGNALS for r in group)
        )
        if strong:
            assert len(matters) >= 3, "the hot matter is interleaved with background reports"
            return
    pytest.fail(f"no matter reached strong signals in 40 reports: {sorted(matters)}")


def test_live_feed_is_deterministic_and_stamped_now(regions: Regions) -> None:
    clock = make_clock(step_s=5.0)
    a = list(islice(live_feed(SimConfig(seed=9), regions, clock), 30))
    b = list(islice(live_feed(SimConfig(seed=9), regions, make_clock(step_s=5.0)), 30))
    assert a == b
    expected = [DEFAULT_START + timedelta(seconds=5 * i) for i in range(30)]
    assert [r.received_at for r in a] == expected
    assert len({r.report_id for r in a}) == 30


def test_live_feed_reads_a_naive_clock_as_beijing_time(regions: Regions) -> None:
    naive = datetime(2026, 11, 2, 9, 0)
    report = next(live_feed(SimConfig(), regions, lambda: naive))
    assert report.received_at == naive.replace(tzinfo=BEIJING)


def test_write_jsonl_writes_exactly_the_report_fields(
    make_scenario: Scenario, tmp_path: Path
) -> None:
    reports = make_scenario(n_matters=8)
    path = tmp_path / "out" / "reports.jsonl"
    assert write_jsonl(reports, path) == len(reports)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(reports)
    for line, report in zip(lines, reports, strict=True):
        assert tuple(json.loads(line)) == REPORT_FIELDS
        assert Report.model_validate_json(line) == report


def test_truth_maps_every_report_to_one_matter(regions: Regions) -> None:
    cfg = SimConfig(n_matters=20)
    keys = truth(cfg, regions)
    assert set(keys) == {r.report_id for r in simulate(cfg, regions)}
    assert len(set(keys.values())) == 20


def test_works_on_a_tiny_region() -> None:
    tiny = Regions.from_rows(
        [
            ("330681", "诸暨市", "3306", "county"),
            ("330681109", "枫桥镇", "330681", "township"),
            ("330681109201", "枫溪村村民委员会", "330681109", "village"),
        ]
    )
    reports = simulate(SimConfig(n_matters=6, growing_share=0.5), tiny)
    assert reports
    assert {r.region_code for r in reports} <= {"330681109201", None}


@pytest.mark.parametrize(
    "overrides",
    [
        {"n_matters": -1},
        {"growing_share": 1.5},
        {"days": 0.0},
        {"start": datetime(2026, 11, 1, 8)},
    ],
)
def test_invalid_settings_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(IntakeError):
        SimConfig(**overrides)


def test_a_region_without_villages_is_refused() -> None:
    empty = Regions.from_rows([("330681", "诸暨市", "3306", "county")])
    with pytest.raises(IntakeError):
        simulate(SimConfig(), empty)
