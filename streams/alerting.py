"""What the alerting agent does with one input; the Faust agent only loops and calls ``handle``.

State: a Faust table (changelog-backed) holds each matter's case state under its
matter id and the noise state under ``NOISE_KEY``. The warehouse is the second
copy: a worker that starts with an empty table (the local broker keeps nothing
across restarts) re-hydrates it from ``alert_cases`` and ``alerting_snapshots``.
The agent, the table's only writer, keeps the noise state parsed in memory and
writes it (table and snapshot) only when an input changed it.

A grown matter's input also closes the open alerts of the matters merged into it
(``MatterSeen.merged_from``; the lifecycle decides, models/casework.py), each in
its own case, file and snapshot, without a notification.

Order of effects for each input, so a kill -9 at any point loses nothing and
sends nothing twice: compute (pure) -> write events, transitions, alert rows,
suppressions, notifications, then the state snapshots, to the warehouse ->
update the table -> deliver (the delivery log skips what was already sent). On
start, notifications whose delivery was never logged are delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from minqing.records import (
    AlertingInput,
    AlertingSnapshot,
    AlertTransition,
    Notification,
    Record,
)  # fmt: skip
from models.casework import CaseModel, CaseOut
from models.lifecycle import CaseState
from models.noise import Noise, NoiseEvent, NoiseState, Settled, Tick
from models.routing import Router
from notify.delivery import Deliverer, retry_blocking
from notify.render import digest_body
from warehouse.alert_queries import AlertQueries
from warehouse.backend import Backend
from warehouse.rows import Row, rows_for

log = logging.getLogger(__name__)

NOISE_KEY = b"~noise"
Table = MutableMapping[bytes, bytes]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock tests move by hand.

    >>> c = ManualClock(datetime(2024, 5, 1, tzinfo=UTC))
    >>> c.advance(hours=2).isoformat()
    '2024-05-01T02:00:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> datetime:
        self.t += timedelta(**delta)
        return self.t


@dataclass
class Work:
    """Everything one input produced, in the order it must be recorded."""

    records: list[Record] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    snapshots: list[Record] = field(default_factory=list)
    table: dict[bytes, bytes] = field(default_factory=dict)
    drop: list[bytes] = field(default_factory=list)
    digests: list[tuple[str, str]] = field(default_factory=list)
    noise_changed: bool = False


@dataclass
class Alerting:
    cases: CaseModel
    noise: Noise
    router: Router
    deliverer: Deliverer
    backend: Backend
    clock: Clock
    redeliver: timedelta = timedelta(hours=24)
    retain: timedelta = timedelta(days=90)
    digest_top: int = 5
    hydrated: bool = False
    tick_sent_at: datetime | None = None
    handled: int = 0  # inputs fully applied (a liveness figure; tests wait on it)
    noise_loads: int = 0  # times the noise state was parsed from the table
    # The agent is the table's only writer, so it keeps the parsed noise state and the
    # bytes it was read from or written as; parsing and dumping it per input cost 60% of
    # a late-run worker (PROFILE.md). Other bytes in the table (changelog recovery after
    # a rebalance) mean the cache is stale.
    _noise_cache: NoiseState | None = field(default=None, repr=False)
    _noise_saved: bytes | None = field(default=None, repr=False)

    async def handle(self, inp: AlertingInput, table: Table) -> None:
        """Apply one input: state, warehouse, table, deliveries (see the module docstring)."""
        if not self.hydrated:
            await self.hydrate(table)
        if inp.kind == "matter" and not any(m.encode() in table for m in _matters_of(inp)):
            # Every risk score comes here; only a matter with a case can be reopened (or
            # closed as merged) by one.
            self.handled += 1
            return
        try:
            await self._apply(inp, table, self._noise_state(table))
        except BaseException:
            # The in-memory noise state may be ahead of the table: read the table again.
            self._noise_cache = None
            raise
        self.handled += 1

    async def _apply(self, inp: AlertingInput, table: Table, noise: NoiseState) -> None:
        work = Work()
        if inp.kind == "silence" and inp.silence is not None:
            self._noise(noise, inp.silence, work)
        elif inp.kind == "tick":
            self.tick_sent_at = None
            self._tick(inp, table, noise, work)
        else:
            for matter_id in _matters_of(inp):
                self._case(matter_id, inp, table, noise, work)
        await self._digests(work)
        if work.noise_changed:
            body = noise.to_json()
            work.snapshots.append(self._noise_snapshot(body, inp.at))
            work.table[NOISE_KEY] = body.encode()
        await self._record(work)
        for key in work.drop:
            table.pop(key, None)
        table.update(work.table)
        if work.noise_changed:
            self._noise_cache, self._noise_saved = noise, work.table[NOISE_KEY]
        await self._deliver(work.notifications)

    def _tick(self, inp: AlertingInput, table: Table, noise: NoiseState, work: Work) -> None:
        for key in sorted(k for k in table if k != NOISE_KEY):
            state = CaseState.from_json(table[key])
            if state.status == "closed" and (state.updated_at or inp.at) < inp.at - self.retain:
                work.drop.append(key)  # idle and closed: the warehouse keeps its file
                continue
            self._case(key.decode(), inp, table, noise, work, state)
        self._noise(noise, Tick(inp.at), work)

    def _case(self, matter_id: str, inp: AlertingInput, table: Table, noise: NoiseState,
              work: Work, state: CaseState | None = None) -> None:  # fmt: skip
        key = matter_id.encode()
        if state is None:
            saved = table.get(key)
            state = CaseState.from_json(saved) if saved else self.cases.init()
        new, out = self.cases.update(state, inp)
        if out.rejected:
            work.records.append(_rejection(state, inp, out.rejected))
        if not out.changed:
            return
        work.records += [*out.events, *out.transitions, self.cases.alert_row(new)]
        work.snapshots.append(self.cases.snapshot(new))
        work.table[key] = new.to_json().encode()
        self._notices(out, matter_id, noise, work)

    def _notices(self, out: CaseOut, matter_id: str, noise: NoiseState, work: Work) -> None:
        for notice in out.notices:
            self._noise(noise, notice, work)
        if out.quiet or out.ended:
            self._noise(noise, Settled(matter_id, out.ended), work)

    def _noise(self, state: NoiseState, event: NoiseEvent, work: Work) -> None:
        _, out = self.noise.update(state, event)
        work.noise_changed |= out.changed
        work.notifications += out.notifications
        work.records += out.suppressed
        work.digests += out.digests

    async def _digests(self, work: Work) -> None:
        now, queries = self.clock.now(), AlertQueries(self.backend)
        for leader, day in work.digests:
            person = self.router.cfg.leaders.get(leader)
            areas = person.areas if person else []
            digest = await retry_blocking(partial(queries.area_cases, areas, now, self.digest_top))
            body = digest_body(person.name if person else leader, day, digest)
            work.notifications.append(Notification(
                notification_id=f"digest:{leader}:{day}", recipient=leader, kind="digest",
                created_at=now, body=body))  # fmt: skip

    def _noise_state(self, table: Table) -> NoiseState:
        """The noise state, parsed only when the table holds bytes this agent did not see."""
        saved = table.get(NOISE_KEY)
        if self._noise_cache is None or saved is not self._noise_saved:
            self._noise_cache = NoiseState.from_json(saved) if saved else self.noise.init()
            self._noise_saved = saved
            self.noise_loads += 1
        return self._noise_cache

    def _noise_snapshot(self, body: str, at: datetime) -> AlertingSnapshot:
        # The version only has to grow: wall-clock microseconds do, across restarts too.
        version = int(datetime.now(UTC).timestamp() * 1_000_000)
        return AlertingSnapshot(name="noise", version=version, body=body, updated_at=at)

    async def _record(self, work: Work) -> None:
        batches: dict[str, list[Row]] = {}
        for record in [*work.records, *work.notifications, *work.snapshots]:
            for table, row in rows_for(record):
                batches.setdefault(table, []).append(row)
        for table, rows in batches.items():  # insertion order: snapshots last
            await retry_blocking(partial(self.backend.insert, table, rows))

    async def _deliver(self, notifications: list[Notification]) -> None:
        await asyncio.gather(*(self.deliverer.deliver(n) for n in notifications))

    async def hydrate(self, table: Table) -> None:
        """Fill an empty table from the warehouse, then finish deliveries cut short."""
        now, queries = self.clock.now(), AlertQueries(self.backend)
        if not any(True for _ in table):
            states = await retry_blocking(lambda: queries.case_states(now - self.retain))
            for saved in states:
                table[CaseState.from_json(saved).matter_id.encode()] = saved.encode()
            noise = await retry_blocking(lambda: queries.snapshot("noise"))
            if noise is not None:
                table[NOISE_KEY] = noise.encode()
            log.info("alerting: %d case(s) re-hydrated from the warehouse", len(states))
        self._noise_state(table)  # parsed once here, then kept in memory
        self.hydrated = True
        docs = await retry_blocking(lambda: queries.notifications_since(now - self.redeliver))
        await self._deliver([Notification.model_validate_json(d) for d in docs])

    def due(self, table: Table, now: datetime, interval: float) -> bool:
        """Should the timer send a tick? Also once at start, so the agent re-hydrates."""
        if self.tick_sent_at is not None and now < self.tick_sent_at + timedelta(
                seconds=3 * interval):  # fmt: skip
            return False  # a tick is on its way
        if not self.hydrated:
            return True
        times = [self.cases.next_due(CaseState.from_json(v)) for k, v in table.items()
                 if k != NOISE_KEY]  # fmt: skip
        times.append(self.noise.next_due(self._noise_state(table), now))
        return any(t is not None and t <= now for t in times)


def _matter_of(inp: AlertingInput) -> str:
    if inp.alert is not None:
        return inp.alert.alert.matter_id
    if inp.matter is not None:
        return inp.matter.matter_id
    return inp.action.matter_id if inp.action is not None else ""


def _matters_of(inp: AlertingInput) -> list[str]:
    """The cases an input concerns: its matter's, and those of the matters merged into it."""
    own = _matter_of(inp)
    merged = inp.matter.merged_from if inp.matter is not None else []
    return [own, *(m for m in merged if m != own)]


def _rejection(state: CaseState, inp: AlertingInput, why: str) -> AlertTransition:
    act = inp.action
    assert act is not None
    log.info("alerting: %s on %s rejected: %s", act.action, act.matter_id, why)
    return AlertTransition(
        event_id=f"reject:{act.action_id}", alert_id=state.alert_id, matter_id=act.matter_id,
        action="reject", from_status=state.status, to_status=state.status, level=state.level,
        seq=state.seq, step=state.step, actor=act.actor, at=act.at, note=why,
        action_id=act.action_id,
    )  # fmt: skip
