"""Pure operations on the cluster state for analysts' corrections, and the merge they share.

``merge(state, matter_a, matter_b)`` makes two open matters one; the older one's
id survives and the other id becomes an alias of it. ``move_out(state,
report_id)`` takes one report out of its matter into a matter of its own; the
rest of the matter is rebuilt as if the report had never joined. Both return
the state and the snapshots that changed, for the API to send on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from minqing.errors import ModelError
from minqing.records import Matter
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


def absorb_into(state: ClusterState, a: MatterState, b: MatterState) -> MatterState:
    """Merge ``a`` and ``b``; the older (then lower id) survives and is returned."""
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
    return state, absorb_into(state, a, b).snapshot()


def move_out(state: ClusterState, report_id: str) -> tuple[ClusterState, list[Matter]]:
    """Take ``report_id`` out of its matter into one of its own: [rest of the matter, new one]."""
    matter = state.matter(state.seen.get(report_id, ""))
    if matter is None:
        raise ModelError(f"report {report_id} is in no open matter / 报告不在任何未关闭事项中")
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
