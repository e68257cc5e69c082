"""Matter features kept incrementally: windows, spread, growth, intent, answers, repeats, state."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

import models.risk_explain
import models.risk_features
import models.risk_tracks
from minqing.records import Accepted, Matter
from models.risk_features import FEATURES, FeatureState
from models.risk_tracks import observation

T0 = datetime.fromisoformat("2024-05-01T08:00:00+08:00")
FENGXI, CHENJIA = "330681109201", "330681109202"
F = {name: i for i, name in enumerate(FEATURES)}


class Stepper:
    """Feeds reports of one matter (matter snapshots made to match) into a FeatureState."""

    def __init__(
        self,
        make_accepted: Callable[..., Accepted],
        make_matter: Callable[..., Matter],
        matter_id: str = "M1",
        title: str = "化工厂偷排废水",
    ) -> None:
        self.make_accepted, self.make_matter = make_accepted, make_matter
        self.state, self.matter_id, self.title = FeatureState(), matter_id, title
        self.n, self.informants, self.villages = 0, set[str](), set[str]()

    def add(
        self,
        hours: float,
        content: str = "",
        informant: str = "inf-1",
        village: str = FENGXI,
        people: int | None = None,
        **kw: Any,
    ) -> dict[str, float]:
        self.n += 1
        at = T0 + timedelta(hours=hours)
        item = self.make_accepted(
            report_id=f"{self.matter_id}-{self.n}",
            received_at=at,
            informant_id=informant,
            region_code=village,
            title=self.title,
            content=content,
            people_involved=people,
            **kw,
        )
        self.informants.add(informant)
        self.villages.add(village)
        matter = self.make_matter(
            matter_id=self.matter_id,
            version=self.n,
            title=self.title,
            n_reports=self.n,
            n_informants=len(self.informants),
            n_villages=len(self.villages),
            first_seen=T0,
            last_seen=at,
        )
        x = self.state.observe(matter, observation(matter, at, item), 72.0)
        return dict(zip(FEATURES, x, strict=True))


Make = Callable[..., Any]


@pytest.fixture
def stepper(make_accepted: Make, make_matter: Make) -> Stepper:
    return Stepper(make_accepted, make_matter)


def test_doctests() -> None:
    for module in (models.risk_features, models.risk_tracks, models.risk_explain):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0


def test_count_windows_and_acceleration(stepper: Stepper) -> None:
    for h in (0, 1, 2, 30, 47.5, 48, 48.2):
        x = stepper.add(h)
    # at 48.2 h: 3 within the hour, 4 within 24 h (47.5, 48, 48.2 and 30), all 7 within 7 days
    assert round(x["n_1h"], 6) == round(models.risk_features.log1p(3), 6)
    assert round(x["n_24h"], 6) == round(models.risk_features.log1p(4), 6)
    assert round(x["n_7d"], 6) == round(models.risk_features.log1p(7), 6)
    assert x["accel_24h"] > 0


def test_spread_and_people_growth(stepper: Stepper) -> None:
    stepper.add(0, people=10)
    x = stepper.add(30, informant="inf-2", village=CHENJIA, people=80)
    assert x["informants"] > models.risk_features.log1p(1) and x["villages_24h"] > 0
    assert x["people_growth_24h"] == pytest.approx(
        models.risk_features.log1p(80) - models.risk_features.log1p(10)
    )


def test_intent_from_text_and_from_boxes(stepper: Stepper) -> None:
    x = stepper.add(0, content="村民说不会去上访。")
    assert x["intent_kinds"] == 0 and x["denied"] > 0
    x = stepper.add(1, content="村民们说明天要去市里集体上访。")
    assert x["intent_kinds"] == 2 and x["intent_now"] == 1
    x = stepper.add(2, informant="inf-2", signals=["blocking"])
    assert x["intent_kinds"] == 3 and x["intent_informants"] > models.risk_features.log1p(1)
    x = stepper.add(3, content="有人扬言要跳楼。")
    assert x["danger"] == 1


def test_answers_overdue_and_reopening(stepper: Stepper) -> None:
    stepper.add(0)
    x = stepper.add(24 * 5, content="上次反映后一直没有回音。")
    assert x["overdue_days"] > 0 and x["no_answer"] > 0 and x["answered"] == 0
    x = stepper.add(24 * 5 + 1, content="镇里已经答复，成立了工作组。")
    assert x["answered"] == 1 and x["overdue_days"] == 0
    x = stepper.add(24 * 6, content="问题已经解决，村民表示满意。")
    assert x["solved"] == 1 and x["reopened"] == 0
    x = stepper.add(24 * 9, content="又出现了偷排。")
    assert x["reopened"] == 1 and x["repeat_words"] == 1


def test_a_similar_matter_closed_at_the_same_place_is_a_repeat(
    make_accepted: Make, make_matter: Make
) -> None:
    first = Stepper(make_accepted, make_matter, "M1", "化工厂偷排废水河水发臭")
    first.add(0)
    first.add(5, content="问题已经解决，可以销号。")
    later = Stepper(make_accepted, make_matter, "M2", "再次反映化工厂偷排废水")
    later.state = first.state
    assert later.add(24 * 20)["repeat_closed"] == 1
    other = Stepper(make_accepted, make_matter, "M3", "小区电梯经常坏")
    other.state = first.state
    assert other.add(24 * 21)["repeat_closed"] == 0


def test_a_redelivered_report_is_not_counted_twice(stepper: Stepper) -> None:
    stepper.add(0)
    x = stepper.add(1)
    stepper.n -= 1  # the same matter version again
    assert stepper.add(1) == x


def test_state_saves_exactly_and_forgets_idle_matters(stepper: Stepper) -> None:
    stepper.add(0, content="村民们说要去市里集体上访。", people=30)
    stepper.add(2, content="问题已经解决。")
    saved = stepper.state.to_dict()
    again = FeatureState.from_dict(saved)
    assert again.to_dict() == saved
    stepper.add(24 * 40)  # a month and more later: the old track is swept, then restarted
    track = stepper.state.tracks["M1"]
    assert len(track.recent) == 1 and track.solved_ts is None and not track.kinds


def test_features_are_finite_and_complete(stepper: Stepper) -> None:
    x = stepper.add(0)
    assert list(x) == list(FEATURES) and all(v == v and abs(v) < 1e6 for v in x.values())
