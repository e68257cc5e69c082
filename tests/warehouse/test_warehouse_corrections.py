"""``matter_corrections`` and re-pointed reports, on chdb and on ClickHouse 18.16."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from minqing.records import Accepted, Correction, Matter, MatterUpdate
from warehouse import corrections
from warehouse.backend import Backend
from warehouse.corrections import CorrectionStore
from warehouse.rows import report_row
from warehouse.window import window_reports

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def queued(**fields: object) -> Correction:
    base: dict[str, object] = {
        "correction_id": "cor-1", "kind": "move_out", "matter_id": "M1", "report_id": "r1",
        "reason": "不是同一件事 'x'", "actor": "analyst_a", "at": AT,
    }  # fmt: skip
    return Correction.model_validate({**base, **fields})


def applied(c: Correction, as_of: datetime) -> Correction:
    return c.model_copy(update={"version": 2, "status": "applied", "as_of": as_of,
                                "applied_at": AT + timedelta(minutes=1), "apart": ["r2", "r3"],
                                "result": ["M1", "M2"]})  # fmt: skip


def test_the_verdict_replaces_the_request_and_reads_back(backend: Backend) -> None:
    c = queued()
    corrections.record(backend, c)
    assert corrections.get(backend, "cor-1") == c
    done = applied(c, AT)
    for _ in range(2):  # written twice (a retried write): one row
        corrections.record(backend, done)
    corrections.record(backend, c)  # a late duplicate of the request does not win
    assert corrections.get(backend, "cor-1") == done
    (n,) = backend.query(f"SELECT count() AS n FROM {backend.database}.matter_corrections FINAL")
    assert n["n"] == 1
    assert corrections.get(backend, "nothing") is None


def test_only_applied_ones_since_the_window_start_are_re_applied(backend: Backend) -> None:
    store = CorrectionStore(backend)
    store.save(applied(queued(correction_id="old"), AT - timedelta(days=90)))
    store.save(applied(queued(correction_id="new"), AT))
    store.save(queued(correction_id="waiting"))
    rejected = queued(correction_id="no", version=2, status="rejected", note="x / 否")
    store.save(rejected)
    found = store.applied_since(AT - timedelta(days=60))
    assert [c.correction_id for c in found] == ["new"]
    assert found[0].apart == ["r2", "r3"] and found[0].as_of == AT


def test_a_moved_report_row_beats_every_pipeline_version(
    backend: Backend,
    make_accepted: Callable[..., Accepted],
    make_update: Callable[..., MatterUpdate],
    make_matter: Callable[..., Matter],
) -> None:
    accepted = make_accepted()
    rid = accepted.report.report_id or ""
    old = make_update(accepted=accepted, matter=make_matter(matter_id="M-old", version=40))
    backend.insert("reports", [report_row(old)])
    assert corrections.report_matter(backend, rid) == "M-old"
    new = make_matter(matter_id="M-new", version=1)
    CorrectionStore(backend).moved([(accepted, new)], AT)
    assert corrections.report_matter(backend, rid) == "M-new"
    # A restarted worker still finds the report in its window, in its matter now.
    [back] = window_reports(backend, datetime(1971, 1, 1, tzinfo=UTC))
    assert back == accepted


def test_matter_place_is_the_latest_version(
    backend: Backend, make_matter: Callable[..., Matter]
) -> None:
    from warehouse.rows import matter_row

    backend.insert("matters", [matter_row(make_matter(matter_id="M9", version=1, township=None)),
                               matter_row(make_matter(matter_id="M9", version=2,
                                                      township="330681109"))])  # fmt: skip
    place = corrections.matter_place(backend, "M9")
    assert place is not None and place["township"] == "330681109"
    assert corrections.matter_place(backend, "M-none") is None
