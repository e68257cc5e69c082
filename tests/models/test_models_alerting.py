"""Alert policy: one alert per matter, level changes update it, quiet matters raise nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from minqing.config import AlertConfig
from minqing.records import AlertOut, Level, Matter, RiskScore
from models.alerting import AlertPolicy, AlertState

AT = datetime(2024, 5, 1, tzinfo=UTC)
Make = Callable[..., Matter]


def score_for(matter: Matter, level: Level, risk: float = 0.5) -> RiskScore:
    return RiskScore(matter_id=matter.matter_id, version=matter.version, report_id="r",
                     risk=risk, level=level, explanation="3名信息员反映3次",
                     scored_at=matter.last_seen)  # fmt: skip


def run(steps: list[tuple[Matter, Level]], min_level: Level = "yellow",
        ) -> tuple[AlertState, list[AlertOut | None]]:  # fmt: skip
    policy = AlertPolicy(AlertConfig(min_level=min_level))
    state, outs = policy.init(), []
    for matter, level in steps:
        state, out = policy.update(state, score_for(matter, level), matter)
        outs.append(out)
    return state, outs


def test_below_min_level_raises_nothing(make_matter: Make) -> None:
    state, outs = run([(make_matter(), "none"), (make_matter(version=2), "blue")])
    assert outs == [None, None] and not state.open


def test_reaching_min_level_raises_one_alert(make_matter: Make) -> None:
    m = make_matter(version=3)
    _, (out,) = run([(m, "yellow")])
    assert out is not None
    a, e = out.alert, out.event
    assert (a.alert_id, a.matter_id, a.version, a.level, a.status) == (
        "A000000000001", m.matter_id, 1, "yellow", "raised")  # fmt: skip
    assert (a.title, a.category, a.township, a.explanation) == (
        m.title, m.category, m.township, "3名信息员反映3次")  # fmt: skip
    assert (e.event_id, e.kind, e.level, e.at) == (
        "A000000000001-1",
        "raised",
        "yellow",
        m.last_seen,
    )


def test_same_level_again_does_not_duplicate(make_matter: Make) -> None:
    _, outs = run([(make_matter(version=v), "yellow") for v in (1, 2, 3)])
    assert outs[0] is not None and outs[1:] == [None, None]


def test_level_change_updates_the_same_alert(make_matter: Make) -> None:
    later = AT + timedelta(hours=5)
    _, outs = run([
        (make_matter(version=1), "blue"),
        (make_matter(version=2), "yellow"),
        (make_matter(version=3, last_seen=later), "red"),
    ])  # fmt: skip
    raised, changed = outs[1], outs[2]
    assert outs[0] is None and raised is not None and changed is not None
    assert changed.alert.alert_id == raised.alert.alert_id
    assert (changed.alert.version, changed.alert.level) == (2, "red")
    assert (changed.event.kind, changed.event.event_id) == ("level_changed", "A000000000001-2")
    assert changed.event.note == "yellow->red"
    assert (changed.alert.raised_at, changed.alert.updated_at) == (AT, later)


def test_level_never_falls_below_min_once_raised(make_matter: Make) -> None:
    _, outs = run([
        (make_matter(version=1), "orange"),
        (make_matter(version=2), "blue"),
        (make_matter(version=3), "none"),
    ])  # fmt: skip
    down = outs[1]
    assert down is not None and down.alert.level == "yellow" and down.alert.version == 2
    assert outs[2] is None


def test_an_older_matter_version_is_ignored(make_matter: Make) -> None:
    _, outs = run([(make_matter(version=5), "red"), (make_matter(version=4), "yellow")])
    assert outs[1] is None


def test_one_alert_per_matter(make_matter: Make) -> None:
    state, outs = run([
        (make_matter(matter_id="M000000000001"), "yellow"),
        (make_matter(matter_id="M000000000002"), "orange"),
        (make_matter(matter_id="M000000000001", version=2), "yellow"),
    ])  # fmt: skip
    ids = [o.alert.alert_id for o in outs if o is not None]
    assert ids == ["A000000000001", "A000000000002"] and len(state.open) == 2


def test_idle_matters_are_forgotten(make_matter: Make) -> None:
    state, _ = run([
        (make_matter(matter_id="M000000000001"), "yellow"),
        (make_matter(matter_id="M000000000002", last_seen=AT + timedelta(days=91)), "none"),
    ])  # fmt: skip
    assert not state.open
