"""Noise control: grouping per recipient, silences and inhibition suppress, and expire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from minqing.records import Level, Notice, Silence
from models.noise import (
    DigestConfig,
    GroupingConfig,
    Noise,
    NoiseEvent,
    NoiseOut,
    NoiseState,
    Settled,
    Tick,
)
from tests.alerting_world import FENGQIAO, T0


def notice(kind: str = "raised", level: Level = "yellow", at: datetime = T0, matter: str = "M1",
           recipient: str = "unit", **kw: Any) -> Notice:  # fmt: skip
    return Notice(notice_id=f"{matter}-{kind}-{level}-{at.isoformat()}:{recipient}",
                  recipient=recipient, matter_id=matter, alert_id="A" + matter[1:], kind=kind,
                  level=level, title="t", township=FENGQIAO, category="environment", at=at,
                  **kw)  # fmt: skip


def silence(ends: datetime, **match: Any) -> Silence:
    return Silence(silence_id="s1", starts_at=T0, ends_at=ends, reason="已在现场处置",
                   created_by="wang", created_at=T0, **match)  # fmt: skip


NOISE = Noise(GroupingConfig(group_wait_seconds=30, group_interval_seconds=300,
                             repeat_interval_seconds=3600))  # fmt: skip


def run(*events: Any, model: Noise = NOISE) -> tuple[NoiseState, list[NoiseOut]]:
    state, outs = model.init(), []
    for ev in events:
        state, out = model.update(state, ev)
        outs.append(out)
    return state, outs


def sec(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def sent(outs: list[NoiseOut]) -> list[tuple[str, list[str]]]:
    return [(n.recipient, [i.matter_id for i in n.items]) for o in outs for n in o.notifications]


def test_group_wait_batches_then_group_interval_limits() -> None:
    _, outs = run(
        notice(matter="M1"),
        notice(matter="M2", at=sec(10)),
        Tick(sec(29)),
        Tick(sec(30)),
        notice(matter="M3", at=sec(40)),
        Tick(sec(100)),
        Tick(sec(330)),
    )
    assert [sent([o]) for o in outs] == [[], [], [], [("unit", ["M1", "M2"])], [], [],
                                         [("unit", ["M3"])]]  # fmt: skip


def test_groups_are_per_recipient() -> None:
    _, outs = run(notice(recipient="a"), notice(recipient="b", matter="M2"), Tick(sec(30)))
    assert sent(outs) == [("a", ["M1"]), ("b", ["M2"])]


def test_immediate_kinds_skip_the_wait() -> None:
    _, outs = run(notice(), notice(kind="escalated", matter="M2", at=sec(5)))
    assert sent(outs) == [("unit", ["M1", "M2"])]


def test_repeat_interval_reminds_until_acted_on() -> None:
    _, outs = run(notice(), Tick(sec(30)), Tick(sec(30 + 3600)), Settled("M1", ended=False),
                  Tick(sec(30 + 7200)))  # fmt: skip
    kinds = [n.kind for o in outs for n in o.notifications]
    assert kinds == ["alert", "reminder"]


def test_silence_suppresses_by_region_then_expires() -> None:
    _, outs = run(silence(sec(600), region=FENGQIAO), notice(at=sec(10)), Tick(sec(600)),
                  notice(matter="M2", at=sec(601)), Tick(sec(700)))  # fmt: skip
    assert [s.reason for s in outs[1].suppressed] == ["silenced"]
    assert outs[1].suppressed[0].source == "s1"
    assert sent(outs) == [("unit", ["M2"])]


def test_silence_by_category_and_matter_must_all_match() -> None:
    state, outs = run(silence(sec(600), matter_id="M9", category="environment"), notice())
    assert not outs[1].suppressed
    _, out = NOISE.update(state, notice(matter="M9", at=sec(1)))
    assert out.suppressed[0].reason == "silenced"


def test_expiring_a_silence_early() -> None:
    state, _ = run(silence(sec(3600), category="environment"))
    state, _ = NOISE.update(state, silence(T0, category="environment"))
    assert not state.silences
    _, out = NOISE.update(state, notice(at=sec(5)))
    assert not out.suppressed


def test_higher_level_inhibits_lower_on_same_matter_until_resolved() -> None:
    _, outs = run(notice(level="yellow"), notice(kind="level_changed", level="red", at=sec(5)),
                  Tick(sec(40)), notice(kind="level_changed", level="yellow", at=sec(50)),
                  notice(kind="escalated", level="yellow", at=sec(60)),
                  Settled("M1", ended=True), notice(level="yellow", at=sec(70)))  # fmt: skip
    assert [(s.level, s.reason) for s in outs[1].suppressed] == [("yellow", "inhibited")]
    assert [(s.level, s.source) for s in outs[3].suppressed] == [("yellow", "red alert")]
    assert outs[4].notifications and not outs[4].suppressed  # escalations are never hidden
    assert not outs[6].suppressed  # inhibition ended with the alert
    other = NOISE.update(NOISE.init(), notice(level="red", matter="M2"))[0]
    assert not NOISE.update(other, notice(level="yellow"))[1].suppressed


def test_digest_due_once_a_day_after_the_hour() -> None:
    model = Noise(GroupingConfig(), DigestConfig(hour=8, timezone="Asia/Shanghai"), ["leader"])
    # T0 is 09:00 in Shanghai.
    _, outs = run(Tick(T0 - timedelta(hours=2)), Tick(T0), Tick(T0 + timedelta(hours=5)),
                  Tick(T0 + timedelta(days=1)), model=model)  # fmt: skip
    assert [o.digests for o in outs] == [[], [("leader", "2026-11-02")], [],
                                         [("leader", "2026-11-03")]]  # fmt: skip


def test_next_due() -> None:
    state, _ = run(notice())
    assert NOISE.next_due(state, T0) == sec(30)
    assert NOISE.next_due(NOISE.init(), T0) is None


def test_update_says_whether_the_state_changed() -> None:
    """``changed`` is True exactly when the state's JSON would differ (callers persist then)."""
    model = Noise(GroupingConfig(group_wait_seconds=30), DigestConfig(hour=8), ["leader"])
    events: list[NoiseEvent] = [
        Tick(T0 - timedelta(hours=2)), notice(), Tick(sec(10)), Tick(sec(30)), Tick(sec(40)),
        Settled("M9", ended=True), Settled("M1", ended=False), Settled("M1", ended=True),
        silence(sec(600), region=FENGQIAO), notice(matter="M2", at=sec(50)), Tick(sec(600)),
        Tick(sec(700)),
    ]  # fmt: skip
    state, flags = model.init(), []
    for ev in events:
        before = state.to_json()
        state, out = model.update(state, ev)
        flags.append((out.changed, state.to_json() != before))
    assert [c for c, _ in flags] == [d for _, d in flags]
    # no digest before 08:00; notice; digest; flush; nothing; unknown matter; reminders
    # stop; inhibition ends; silence; silenced notice; silence expires; nothing
    assert [c for c, _ in flags] == [False, True, True, True, False, False, True, True, True,
                                     False, True, False]  # fmt: skip
