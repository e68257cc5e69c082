"""Pure operations on the cluster state for analysts' corrections, and the merge they share.

``merge(state, matter_a, matter_b)`` makes two open matters one; the older one's
id survives and the other id becomes an alias of it. ``move_out(state,
report_id)`` takes one report out of its matter into a matter of its own; the
rest of the matter is rebuilt as if the report had never joined. Both return
the state and the snapshots that changed, for the API to send on.

A move out is respected from then on: the moved report and the reports it left
are kept apart (``ClusterState.apart``, a cannot-link), so no later report can
bridge its new matter and the old one back together (``absorb_into`` refuses).
An analyst's explicit merge lifts the cannot-links between the two matters.
``merge_reports`` and ``move_apart`` re-apply a correction by report ids, for a
worker that refolds its state after a restart (the matter ids may differ then).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from minqing.errors import ModelError
from minqing.records import Correction, Matter
from models.matter_state import MatterState, matter_id_for, new_matter, rebuild
from models.report_view import vectorize

if TYPE_CHECKING:
    from models.cluster_state import ClusterState

log = logging.getLogger(__name__)


def relocate(state: ClusterState, m: MatterState, block: str) -> None:
    """Move ``m`` to ``block`` (an unplaced matter that learnt its township)."""
    state.drop(m, forget_aliases=False)
    m.block = block
    state.put(m)


def kept_apart(state: ClusterState, a: MatterState, b: MatterState) -> bool:
    """Whether an analyst moved a report of one out of the other (a cannot-link)."""
    if not state.apart:
        return False
    small, large = sorted((a, b), key=lambda m: len(m.members))
    others = set(large.report_ids)
    return any(not others.isdisjoint(state.apart.get(r, ())) for r in small.report_ids)


def absorb_into(state: ClusterState, a: MatterState, b: MatterState) -> MatterState:
    """Merge ``a`` and ``b``; the older (then lower id) survives and is returned.

    Matters an analyst kept apart are not merged: ``a`` is returned unchanged.
    """
    if kept_apart(state, a, b):
        log.info("matters %s and %s kept apart by an analyst: not merged", a.matter_id,
                 b.matter_id)  # fmt: skip
        return a
    keep, gone = sorted((a, b), key=lambda m: (m.first_at, m.matter_id))
    for old, new in list(state.aliases.items()):
        if new == gone.matter_id:
            state.aliases[old] = keep.matter_id
    state.drop(gone)
    state.aliases[gone.matter_id] = keep.matter_id
    state.drop(keep, forget_aliases=False)
    keep.absorb(gone)
    if not keep.block and gone.block:
        keep.block = gone.block
    state.put(keep)
    log.info("matter %s merged into %s (%d reports)", gone.matter_id, keep.matter_id,
             len(keep.members))  # fmt: skip
    return keep


def merge(state: ClusterState, matter_a: str, matter_b: str) -> tuple[ClusterState, Matter]:
    """One matter from two open ones (ids or aliases); ModelError if either is not open."""
    a, b = state.matter(matter_a), state.matter(matter_b)
    if a is None or b is None:
        raise ModelError(
            f"no open matter {matter_a if a is None else matter_b} / 事项不存在或已关闭"
        )
    if a is b:
        return state, a.snapshot()
    unlink(state, a.report_ids, b.report_ids)  # the analyst's newer word wins
    return state, absorb_into(state, a, b).snapshot()


def link_apart(state: ClusterState, report_id: str, others: list[str]) -> None:
    """Record that ``report_id`` and ``others`` must never share a matter (both ways)."""
    for o in others:
        if o != report_id:
            state.apart.setdefault(report_id, set()).add(o)
            state.apart.setdefault(o, set()).add(report_id)


def unlink(state: ClusterState, xs: list[str], ys: list[str]) -> None:
    """Drop the cannot-links between ``xs`` and ``ys``."""
    for x, y in ((x, y) for x in xs for y in ys):
        for a, b in ((x, y), (y, x)):
            linked = state.apart.get(a)
            if linked is not None:
                linked.discard(b)
                if not linked:
                    del state.apart[a]


def merge_reports(state: ClusterState, report_a: str, report_b: str
                  ) -> tuple[ClusterState, Matter | None]:  # fmt: skip
    """Re-apply a merge by one report of each matter; None when either is gone (evicted)."""
    a, b = (state.matter(state.seen.get(r, "")) for r in (report_a, report_b))
    if a is None or b is None:
        return state, None
    return merge(state, a.matter_id, b.matter_id)


def move_apart(state: ClusterState, report_id: str, apart: list[str]
               ) -> tuple[ClusterState, list[Matter]]:  # fmt: skip
    """Re-apply a move out: out of its matter, and apart from ``apart`` from then on."""
    if state.matter(state.seen.get(report_id, "")) is None:
        link_apart(state, report_id, apart)  # not folded (or evicted): keep the links only
        return state, []
    return move_out(state, report_id, apart)


def move_out(state: ClusterState, report_id: str, apart: list[str] | None = None
             ) -> tuple[ClusterState, list[Matter]]:  # fmt: skip
    """Take ``report_id`` out of its matter into one of its own: [rest of the matter, new one].

    The report is kept apart from the rest (and from ``apart``) from then on.
    """
    matter = state.matter(state.seen.get(report_id, ""))
    if matter is None:
        raise ModelError(f"report {report_id} is in no open matter / 报告不在任何未关闭事项中")
    link_apart(state, report_id, [*(apart or []), *matter.report_ids])
    if len(matter.members) == 1:
        return state, [matter.snapshot()]
    member = next(m for m in matter.members if m.key == report_id)
    rest = rebuild(matter, [m for m in matter.members if m.key != report_id])
    alone = new_matter(member, member.block, matter.county, vectorize(member.ntitle),
                       vectorize(member.ncontent))  # fmt: skip
    if alone.matter_id == rest.matter_id:  # the first report moved out: the rest keeps the id
        alone.matter_id = matter_id_for("moved:" + report_id)
    state.drop(matter, forget_aliases=False)
    state.put(rest)
    state.put(alone)
    log.info("report %s moved out of %s into %s", report_id, rest.matter_id, alone.matter_id)
    return state, [rest.snapshot(), alone.snapshot()]


@dataclass
class Applied:
    """What applying one correction did: its verdict and what changed."""

    verdict: Correction  # version 2: applied (with anchors / apart / as_of) or rejected
    matters: list[Matter] = field(default_factory=list)  # the snapshots that changed
    merged_from: list[str] = field(default_factory=list)  # ids merged away
    moved: dict[str, str] = field(default_factory=dict)  # report id -> its matter now


def apply(state: ClusterState, c: Correction, at: datetime) -> tuple[ClusterState, Applied]:
    """Apply an analyst's correction as received; a correction that cannot apply is rejected."""
    try:
        if c.kind == "merge":
            return state, _apply_merge(state, c, at)
        return state, _apply_move_out(state, c, at)
    except ModelError as e:
        verdict = c.model_copy(update={"version": 2, "status": "rejected", "note": str(e),
                                       "applied_at": at})  # fmt: skip
        return state, Applied(verdict)


def _verdict(state: ClusterState, c: Correction, at: datetime, **fields: Any) -> Correction:
    return c.model_copy(update={"version": 2, "status": "applied", "applied_at": at,
                                "as_of": state.newest or at, **fields})  # fmt: skip


def _apply_merge(state: ClusterState, c: Correction, at: datetime) -> Applied:
    a, b = state.matter(c.matter_id), state.matter(c.other)
    if a is None or b is None:
        missing = c.matter_id if a is None else c.other
        raise ModelError(f"no open matter {missing} / 事项 {missing} 不存在或已关闭")
    if a is b:
        raise ModelError("the two matters are one already / 两个事项已是同一事项")
    anchors = [a.members[0].key, b.members[0].key]
    ids = {a.matter_id: a.report_ids, b.matter_id: b.report_ids}
    state, merged = merge(state, a.matter_id, b.matter_id)
    gone = next(i for i in ids if i != merged.matter_id)
    moved = dict.fromkeys(ids[gone], merged.matter_id)
    return Applied(_verdict(state, c, at, anchors=anchors, result=[merged.matter_id]),
                   [merged], [gone], moved)  # fmt: skip


def _apply_move_out(state: ClusterState, c: Correction, at: datetime) -> Applied:
    matter = state.matter(state.seen.get(c.report_id, ""))
    if matter is None or matter is not state.matter(c.matter_id):
        raise ModelError(f"report {c.report_id} is not in matter {c.matter_id} / "
                         f"报告 {c.report_id} 不在事项 {c.matter_id} 中")  # fmt: skip
    if len(matter.members) == 1:
        raise ModelError("the report is the matter's only one / 该报告是事项中唯一的报告")
    apart = [r for r in matter.report_ids if r != c.report_id]
    state, changed = move_out(state, c.report_id)
    moved = {c.report_id: changed[-1].matter_id}
    result = [m.matter_id for m in changed]
    return Applied(_verdict(state, c, at, apart=apart, result=result), changed, [], moved)


def reapply(state: ClusterState, c: Correction) -> ClusterState:
    """Apply an applied correction again while refolding (outputs were sent the first time)."""
    if c.kind == "merge" and len(c.anchors) == 2:
        state, _ = merge_reports(state, c.anchors[0], c.anchors[1])
    elif c.kind == "move_out":
        state, _ = move_apart(state, c.report_id, c.apart)
    return state
