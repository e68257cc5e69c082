"""The scorer the worker and replay use: the committed model, the rule fallback, the sentence."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from minqing.config import RiskConfig
from minqing.records import Accepted, Matter, RiskScore
from models.model_store import POINTER, promoted_path, promoted_version
from models.risk import ARTIFACTS, RiskScorer, ScorerState, load_model, make_scorer
from models.risk_model import RiskModel

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
VILLAGES = ["330681109201", "330681109202", "330681110201"]
Make = Callable[..., Any]


def story(
    make_accepted: Make, make_matter: Make, heated: bool, n: int = 8, mid: str = "M1"
) -> list[tuple[Matter, str, datetime, Accepted]]:
    """One matter's reports: spreading with stated intent, or one calm informant."""
    out, informants, villages = [], set(), set()
    for i in range(n):
        at = T0 + timedelta(hours=7 * i)
        informant = f"inf-{i if heated else 1}"
        village = VILLAGES[i % 3] if heated else VILLAGES[0]
        content = (
            "拆迁户们说这周五要去市信访局集体上访，有人扬言要堵路。"
            if heated and i >= n // 2
            else "拆迁安置房迟迟不交付，希望给个时间。"
        )
        item = make_accepted(
            report_id=f"{mid}-{i}",
            received_at=at,
            informant_id=informant,
            region_code=village,
            category="demolition",
            title="安置房迟迟不交付",
            content=content,
            people_involved=(20 + 30 * i) if heated else 3,
        )
        informants.add(informant)
        villages.add(village)
        m = make_matter(
            matter_id=mid,
            version=i + 1,
            title="安置房迟迟不交付",
            category="demolition",
            n_reports=i + 1,
            n_informants=len(informants),
            n_villages=len(villages),
            people_max=(20 + 30 * i) if heated else 3,
            first_seen=T0,
            last_seen=at,
        )
        out.append((m, f"{mid}-{i}", at, item))
    return out


def run(
    scorer: RiskScorer,
    events: list[tuple[Matter, str, datetime, Accepted]],
    with_report: bool = True,
) -> list[RiskScore]:
    state, outs = scorer.init(), []
    for m, rid, at, item in events:
        state, out = scorer.update(state, m, rid, at, item if with_report else None)
        outs.append(out)
    return outs


def test_the_committed_model_is_promoted_small_and_measured() -> None:
    version = promoted_version(ARTIFACTS)
    path = promoted_path(ARTIFACTS)
    assert version and path is not None and path.is_file()
    assert sum(p.stat().st_size for p in ARTIFACTS.iterdir()) < 2_000_000
    metrics = json.loads((ARTIFACTS / f"{version}.metrics.json").read_text(encoding="utf-8"))
    assert metrics["version"] == version and metrics["kind"] in ("gbm", "logistic")
    # `minqing evaluate risk ... --json models/artifacts/<version>.heldout.json` (docs/RISK.md)
    report = json.loads((ARTIFACTS / f"{version}.heldout.json").read_text(encoding="utf-8"))
    assert report["model"] == version
    held = report["true_matters"]
    best = max(held["count_48h"]["aupr"], held["no_change"]["aupr"])
    assert held["model"]["aupr"] >= best + 0.15
    assert held["model"]["brier"] < min(held["count_48h"]["brier"], held["no_change"]["brier"])
    # Recall with 24 h of lead and precision at orange are recorded as measured; on this
    # set they sit at the acceptance line (docs/RISK.md reports them beside other seeds).
    assert held["model"]["recall_24h"] >= 0.75 and held["model"]["precision"] >= 0.5


def test_the_model_tells_heated_from_calm(make_accepted: Make, make_matter: Make) -> None:
    scorer = make_scorer(RiskConfig())
    assert scorer.model is not None
    hot = run(scorer, story(make_accepted, make_matter, heated=True))
    calm = run(scorer, story(make_accepted, make_matter, heated=False))
    assert hot[-1].risk > 0.45 > calm[-1].risk
    assert hot[-1].model == scorer.model.version
    assert "提及" in hot[-1].explanation and "人次反映" in hot[-1].explanation
    assert hot[-1].factors and len(hot[-1].factors) <= 3


def test_without_a_model_the_rule_reads_the_text_too(
    make_accepted: Make, make_matter: Make
) -> None:
    rule = RiskScorer(RiskConfig())
    hot = story(make_accepted, make_matter, heated=True)
    with_text, without = run(rule, hot)[-1], run(rule, hot, with_report=False)[-1]
    assert with_text.model == "rule-v2" and with_text.risk > without.risk
    assert "intent" in with_text.factors and "提及" in with_text.explanation


def test_denied_intent_does_not_raise_risk(make_accepted: Make, make_matter: Make) -> None:
    scorer = make_scorer(RiskConfig())
    m = make_matter(matter_id="M9", version=1)
    said = make_accepted(report_id="r1", content="村民们说要去市里集体上访。")
    denied = make_accepted(report_id="r1", content="村民们说不会去市里上访。")
    _, a = scorer.update(scorer.init(), m, "r1", T0, said)
    _, b = scorer.update(scorer.init(), m, "r1", T0, denied)
    assert a.risk > b.risk and "提及" not in b.explanation


def test_levels_follow_the_configured_thresholds(make_accepted: Make, make_matter: Make) -> None:
    strict = RiskConfig(blue=0.97, yellow=0.98, orange=0.99, red=0.995)
    outs = run(make_scorer(strict), story(make_accepted, make_matter, heated=True))
    assert all(o.level == "none" or o.risk >= 0.97 for o in outs)


def test_model_choice_and_fallbacks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert load_model(RiskConfig(model="rule")) is None
    with caplog.at_level(logging.WARNING):
        assert load_model(RiskConfig(model_dir=str(tmp_path))) is None
    assert "rule" in caplog.text
    (tmp_path / POINTER).write_text("risk-v9-broken\n")
    (tmp_path / "risk-v9-broken.json").write_text("{}")
    assert load_model(RiskConfig(model_dir=str(tmp_path))) is None
    path = promoted_path(ARTIFACTS)
    assert path is not None
    assert isinstance(load_model(RiskConfig(model=str(path))), RiskModel)


def test_state_round_trips_mid_stream(make_accepted: Make, make_matter: Make) -> None:
    scorer = make_scorer(RiskConfig())
    events = story(make_accepted, make_matter, heated=True)
    state = scorer.init()
    for m, rid, at, item in events[:4]:
        state, _ = scorer.update(state, m, rid, at, item)
    restored = ScorerState.from_json(state.to_json().encode("utf-8"))
    for m, rid, at, item in events[4:]:
        state, a = scorer.update(state, m, rid, at, item)
        restored, b = scorer.update(restored, m, rid, at, item)
        assert a == b
    assert restored.to_json() == state.to_json()


def test_one_update_is_fast(make_accepted: Make, make_matter: Make) -> None:
    """The budget is 1 ms on average (bench/risk.py measures it); here a loose guard."""
    scorer = make_scorer(RiskConfig())
    events = [
        e for k in range(25) for e in story(make_accepted, make_matter, k % 2 == 0, mid=f"M{k}")
    ]
    state = scorer.init()
    start = time.perf_counter()
    for m, rid, at, item in events:
        state, _ = scorer.update(state, m, rid, at, item)
    assert (time.perf_counter() - start) / len(events) < 0.005
