"""Analysts' corrections are respected from then on: pure, on the clusterer's own state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from minqing.config import ClusteringConfig
from minqing.records import Accepted, Correction
from models.cluster_ops import apply, kept_apart, merge, move_out, reapply
from models.clustering import Clusterer, ClusterState, combine, extract

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
NOW = datetime(2024, 5, 2, tzinfo=UTC)
Make = Callable[..., Accepted]
WAGES = {
    "title": "安置房工地拖欠农民工工资三个月",
    "category": "wage_arrears",
    "content": "包工头拖欠二十多名农民工三个月工资，工人们多次讨要无果。",
}


def fold(state: ClusterState, items: list[Accepted]) -> ClusterState:
    clusterer = Clusterer(ClusteringConfig())
    for item in items:
        state, _ = clusterer.update(state, item)
    return state


def twins(make: Make, *ids: str, start: int = 0) -> list[Accepted]:
    """Near-identical reports (the same pollution) an hour apart: the clusterer joins them."""
    return [
        make(report_id=r, informant_id=f"inf-{r}", received_at=T0 + timedelta(hours=start + i))
        for i, r in enumerate(ids)
    ]


def correction(**fields: object) -> Correction:
    base: dict[str, object] = {"correction_id": "c1", "kind": "move_out", "matter_id": "",
                               "actor": "analyst_a", "at": NOW}  # fmt: skip
    return Correction.model_validate({**base, **fields})


def test_a_later_report_bridges_the_two_without_the_cannot_link(make_accepted: Make) -> None:
    """The control: a look-alike report would pull the moved report back."""
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    state, (rest, alone) = move_out(state, "a")
    state.apart.clear()
    state, c = Clusterer(ClusteringConfig()).update(state, twins(make_accepted, "c", start=3)[0])
    assert state.seen["a"] == state.seen["b"] == state.seen["c"]
    assert alone.first_seen < rest.first_seen and c.merged_from == [rest.matter_id]  # newer goes


def test_a_moved_report_is_never_pulled_back(make_accepted: Make) -> None:
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    state, (rest, alone) = move_out(state, "a")
    state = fold(state, twins(make_accepted, "c", "d", "e", start=3))
    assert state.seen["a"] != state.seen["b"]
    assert state.seen["a"] == alone.matter_id and state.seen["b"] == rest.matter_id
    assert {state.seen[r] for r in "cde"} <= {alone.matter_id, rest.matter_id}
    a, b = state.matter(state.seen["a"]), state.matter(state.seen["b"])
    assert a is not None and b is not None and kept_apart(state, a, b)


def test_matters_kept_apart_are_not_merged_so_nothing_is_merged_from(
    make_accepted: Make,
) -> None:
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    state, _ = move_out(state, "a")
    clusterer = Clusterer(ClusteringConfig())
    for item in twins(make_accepted, "c", "d", start=3):
        state, update = clusterer.update(state, item)
        assert update.merged_from == []
    assert state.n_matters() == 2


def test_the_cannot_link_survives_save_split_and_join(make_accepted: Make) -> None:
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    state, _ = move_out(state, "a")
    assert state.apart == {"a": {"b"}, "b": {"a"}}
    again = ClusterState.from_json(state.to_json())
    assert again.apart == state.apart and again.to_json() == state.to_json()
    parts = [extract(state, [b]) for b in sorted(state.blocks)]
    assert combine(parts).apart == state.apart
    assert '"apart"' not in ClusterState().to_json()  # states without corrections unchanged


def test_an_analysts_merge_lifts_the_cannot_link_and_stays_one(make_accepted: Make) -> None:
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    state, (rest, alone) = move_out(state, "a")
    state, merged = merge(state, rest.matter_id, alone.matter_id)
    assert state.apart == {} and merged.n_reports == 2
    state = fold(state, twins(make_accepted, "c", start=3))
    assert state.seen["a"] == state.seen["b"] == state.seen["c"] == merged.matter_id


def test_a_merged_matter_takes_later_reports_of_either(make_accepted: Make) -> None:
    items = [
        make_accepted(report_id="p"),
        make_accepted(report_id="w", **WAGES, received_at=T0 + timedelta(hours=1)),
    ]
    state = fold(ClusterState(), items)
    state, merged = merge(state, state.seen["w"], state.seen["p"])
    later = [make_accepted(report_id="w2", informant_id="x", **WAGES,
                           received_at=T0 + timedelta(hours=5)),
             make_accepted(report_id="p2", informant_id="y",
                           received_at=T0 + timedelta(hours=6))]  # fmt: skip
    state = fold(state, later)
    assert {state.seen[r] for r in ("p", "w", "p2", "w2")} == {merged.matter_id}


def test_apply_records_what_a_refold_needs_and_rejects_what_cannot_apply(
    make_accepted: Make,
) -> None:
    state = fold(ClusterState(), twins(make_accepted, "a", "b"))
    mid = state.seen["a"]
    state, done = apply(state, correction(matter_id=mid, report_id="b"), NOW)
    v = done.verdict
    assert v.status == "applied" and v.version == 2 and v.apart == ["a"]
    assert v.as_of == T0 + timedelta(hours=1) and v.result == [mid, state.seen["b"]]
    assert done.moved == {"b": state.seen["b"]} and len(done.matters) == 2
    state, again = apply(state, correction(correction_id="c2", matter_id=mid, report_id="b"), NOW)
    assert again.verdict.status == "rejected" and "不在事项" in again.verdict.note
    state, same = apply(state, correction(correction_id="c3", kind="merge", matter_id=mid,
                                          other=mid), NOW)  # fmt: skip
    assert same.verdict.status == "rejected" and same.matters == []


def test_reapply_by_report_ids_gives_the_live_partition(make_accepted: Make) -> None:
    """What a restarted worker does: refold the reports, re-applying corrections in place."""
    first, later = twins(make_accepted, "a", "b"), twins(make_accepted, "c", "d", start=3)
    live = fold(ClusterState(), first)
    live, done = apply(live, correction(matter_id=live.seen["a"], report_id="a"), NOW)
    live = fold(live, later)
    refold = reapply(fold(ClusterState(), first), done.verdict)
    refold = fold(refold, later)
    assert refold.seen == live.seen and refold.apart == live.apart
