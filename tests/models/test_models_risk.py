"""Risk scoring: monotone in what heats a matter up, levels by threshold, a Chinese reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from minqing.config import RiskConfig
from minqing.records import Matter, RiskScore
from models.risk import RuleScorer, level_for

AT = datetime(2024, 5, 1, tzinfo=UTC)
Make = Callable[..., Matter]


def score(matter: Matter, cfg: RiskConfig | None = None) -> RiskScore:
    scorer = RuleScorer(cfg or RiskConfig())
    _, out = scorer.update(scorer.init(), matter, "r1", AT)
    return out


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("n_reports", [1, 2, 3, 5, 8, 15, 40]),
        ("n_informants", [1, 2, 3, 5, 7, 20]),
        ("n_villages", [0, 1, 2, 3, 4, 9]),
        ("people_max", [0, 5, 20, 60, 99, 1000]),
    ],
)
def test_risk_is_monotone_in_counts(make_matter: Make, field: str, values: list[int]) -> None:
    risks = [score(make_matter(**{field: v})).risk for v in values]
    assert risks == sorted(risks)
    assert risks[-1] > risks[0]


def test_risk_is_monotone_in_signals(make_matter: Make) -> None:
    steps = [
        [],
        ["gathering"],
        ["collective_petition", "gathering"],
        ["collective_petition", "gathering", "blocking"],
        ["collective_petition", "gathering", "blocking", "self_harm_threat"],
    ]
    risks = [score(make_matter(signals=s)).risk for s in steps]
    assert risks == sorted(risks) and len(set(risks)) == len(risks)


def test_terms_are_capped(make_matter: Make) -> None:
    many = ["collective_petition", "petition_upward", "gathering", "blocking", "banners_online"]
    assert score(make_matter(signals=many[:3])).risk == score(make_matter(signals=many)).risk
    assert score(make_matter(n_reports=15)).risk == score(make_matter(n_reports=500)).risk


def test_a_quiet_single_report_is_not_a_warning(make_matter: Make) -> None:
    out = score(make_matter())
    assert out.level == "none" and 0 < out.risk < RiskConfig().blue


def test_a_heated_matter_is_red(make_matter: Make) -> None:
    out = score(make_matter(n_reports=5, n_informants=3, n_villages=2, people_max=40,
                            signals=["collective_petition", "gathering"]))  # fmt: skip
    assert out.level == "red"
    assert out.factors[0] == "people" and "signals" in out.factors and "danger" not in out.factors


@pytest.mark.parametrize(
    ("risk", "level"),
    [(0.0, "none"), (0.2499, "none"), (0.25, "blue"), (0.45, "yellow"), (0.6499, "yellow"),
     (0.65, "orange"), (0.8, "red"), (1.0, "red")],
)  # fmt: skip
def test_levels_follow_thresholds(risk: float, level: str) -> None:
    assert level_for(risk, RiskConfig()) == level


def test_score_level_matches_its_risk_under_any_thresholds(make_matter: Make) -> None:
    cfg = RiskConfig(blue=0.05, yellow=0.1, orange=0.2, red=0.3)
    for n in range(1, 20):
        out = score(make_matter(n_reports=n, n_informants=n), cfg)
        assert out.level == level_for(out.risk, cfg)
    assert score(make_matter(), cfg).level == "yellow"


def test_explanation_in_chinese_names_people_places_and_signals(make_matter: Make) -> None:
    signals = ["collective_petition", "gathering", "self_harm_threat"]
    out = score(make_matter(n_reports=5, n_informants=3, n_villages=2, people_max=40,
                            signals=signals))  # fmt: skip
    assert out.explanation == "3名信息员、2个村反映5次；涉及约40人；提及集体上访、聚集、扬言自伤"
    assert score(make_matter()).explanation == "1名信息员反映1次"


def test_signal_names_come_from_config_when_given(make_matter: Make) -> None:
    scorer = RuleScorer(RiskConfig(), {"gathering": "聚集闹事"})
    _, out = scorer.update(scorer.init(), make_matter(signals=["gathering"]), "r1", AT)
    assert out.explanation.endswith("提及聚集闹事")


def test_score_carries_ids_and_model(make_matter: Make) -> None:
    out = score(make_matter(version=4))
    assert (out.matter_id, out.version, out.report_id, out.scored_at, out.model) == (
        "M000000000001", 4, "r1", AT, "rule-v1")  # fmt: skip
