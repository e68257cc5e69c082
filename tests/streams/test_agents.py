"""The Faust agents, unit-tested in Faust's test context (no broker).

``agent.test_context()`` feeds an agent through an in-memory channel but does
not stub ``topic.send``, so each test replaces ``send`` on the app's own output
topics with a recorder: stubbing our output port, not a real component. The
sink agents write to a real chdb warehouse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import pytest

from minqing.config import Config
from minqing.records import (
    Accepted,
    AlertOut,
    DeadLetter,
    Level,
    MatterUpdate,
    Record,
    Report,
    Scored,
)
from minqing.regions import Regions
from minqing.settings import Settings
from streams.app import create_app
from streams.pipeline import Pipeline
from streams.topics import Topics
from warehouse.backend import Backend
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import WarehouseWriter

FENGQIAO = "330681109"
VILLAGES = ("330681109290", "330681109291", "330681109292")  # 枫源村, 乐山村, 齐东村 (枫桥镇)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
STAGES = ("raw", "valid", "dlq", "matters", "risk", "alerts")


@dataclass
class Harness:
    app: faust.App
    topics: Topics
    pipeline: Pipeline
    sent: dict[str, list[tuple[bytes, bytes]]] = field(default_factory=dict)

    def agent(self, name: str) -> Any:
        return self.app.agents[name]

    def values(self, stage: str, cls: type[Record]) -> list[Any]:
        return [cls.model_validate_json(v) for _, v in self.sent[stage]]

    async def wait_sent(self, stage: str, n: int, timeout: float = 10.0) -> None:
        """Until ``stage`` has received ``n`` sends (an agent finishes a value after put)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent[stage]) < n:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{stage}: {len(self.sent[stage])} sends, wanted {n}")
            await asyncio.sleep(0.01)


@pytest.fixture
def harness(
    settings_factory: Callable[..., Settings],
    unique: Callable[[str], str],
    config: Config,
    regions: Regions,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Harness]:
    """Factory: an app with a unique id and topic prefix, its sends recorded per stage."""

    def make(sink: Callable[[], Any] | None = None, **settings: Any) -> Harness:
        s = settings_factory(app_id=unique("t"), **settings)
        pipeline = Pipeline(config, regions, "secret")
        app, topics = create_app(s, pipeline, sink=sink, prefix=unique("p") + ".")
        app.finalize()
        assert str(app.conf.store) == "memory:"
        app.flow_control.resume()
        h = Harness(app, topics, pipeline)
        for stage in STAGES:
            h.sent[stage] = []
            monkeypatch.setattr(getattr(topics, stage), "send", recorder(h.sent[stage]))
        return h

    return make


def recorder(into: list[tuple[bytes, bytes]]) -> Callable[..., Awaitable[None]]:
    async def send(*, key: bytes, value: bytes, **_: Any) -> None:
        into.append((key, value))

    return send


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))  # type: ignore[arg-type]


@pytest.fixture
def growing(make_report: Callable[..., Report]) -> list[Report]:
    """A growing matter: 6 reports, 4 informants, 3 villages of 枫桥镇, up to 60 people."""
    return [
        make_report(
            received_at=T0 + timedelta(hours=i),
            informant_id=f"inf-{i % 4}",
            region_code=VILLAGES[i % 3],
            category="land_requisition",
            title="征地补偿款迟迟不发",
            content=f"村里征地补偿款拖了半年没发，{10 * (i + 1)}多户村民准备集体上访。",
            people_involved=10 * (i + 1),
            signals=["collective_petition"],
        )
        for i in range(6)
    ]


def test_validate_routes_good_to_valid_and_bad_to_dlq(
    harness: Callable[..., Harness], make_report: Callable[..., Report]
) -> None:
    h = harness()
    good = make_report(region_code=VILLAGES[0])

    async def go() -> None:
        async with h.agent("validate").test_context() as agent:
            await agent.put(b'{"title": ')
            await agent.put(good.to_bytes())
            await h.wait_sent("valid", 1)

    run(go())
    [(key, value)] = h.sent["valid"]
    accepted = Accepted.model_validate_json(value)
    assert key == FENGQIAO.encode()  # keyed by township: one township's matters stay together
    assert accepted.report == good and accepted.place.village == VILLAGES[0]
    assert accepted.receipt
    [letter] = h.values("dlq", DeadLetter)
    assert letter.reason_en == "malformed JSON" and letter.payload == '{"title": '
    assert letter.topic == h.topics.raw.get_topic_name()
    assert h.sent["dlq"][0][0] == letter.dlq_id.encode()


def test_validate_sends_invalid_fields_to_dlq(
    harness: Callable[..., Harness], make_report: Callable[..., Report]
) -> None:
    h = harness()
    bad = make_report().to_bytes().replace(b'"people_involved":10', b'"people_involved":"10"')

    async def go() -> None:
        async with h.agent("validate").test_context() as agent:
            await agent.put(bad)
            await h.wait_sent("dlq", 1)

    run(go())
    [letter] = h.values("dlq", DeadLetter)
    assert [e.field for e in letter.errors] == ["people_involved"]
    assert h.sent["valid"] == []


def test_report_without_a_place_is_keyed_by_a_dash(
    harness: Callable[..., Harness], make_report: Callable[..., Report]
) -> None:
    h = harness()

    async def go() -> None:
        async with h.agent("validate").test_context() as agent:
            await agent.put(make_report(region_code=None, region_text=None).to_bytes())
            await h.wait_sent("valid", 1)

    run(go())
    assert h.sent["valid"][0][0] == b"-"


def test_cluster_emits_matter_updates(
    harness: Callable[..., Harness], make_accepted: Callable[..., Accepted]
) -> None:
    h = harness()
    first, second = make_accepted(), make_accepted(informant_id="inf-other")

    async def go() -> None:
        async with h.agent("cluster").test_context() as agent:
            await agent.put(first.to_bytes())
            await agent.put(second.to_bytes())
            await h.wait_sent("matters", 2)

    run(go())
    a, b = h.values("matters", MatterUpdate)
    assert a.accepted == first and a.new_matter and a.matter.version == 1
    assert b.accepted == second and not b.new_matter
    assert b.matter.matter_id == a.matter.matter_id and b.matter.n_reports == 2
    # keyed by place, like reports.valid: risk and alert state co-partitioned with clustering
    assert h.sent["matters"][1][0] == FENGQIAO.encode()


def test_risk_emits_scored(
    harness: Callable[..., Harness], make_accepted: Callable[..., Accepted]
) -> None:
    h = harness()
    update = h.pipeline.cluster(make_accepted())

    async def go() -> None:
        async with h.agent("risk").test_context() as agent:
            await agent.put(update.to_bytes())
            await h.wait_sent("risk", 1)

    run(go())
    [scored] = h.values("risk", Scored)
    assert scored.matter == update.matter
    assert scored.score.matter_id == update.matter.matter_id
    assert scored.score.report_id == update.accepted.report.report_id
    assert scored.score.scored_at == update.accepted.report.received_at
    assert 0.0 < scored.score.risk < 1.0
    assert h.sent["risk"][0][0] == (update.accepted.place.township or "-").encode()


def scored_for(h: Harness, reports: list[Report]) -> list[Scored]:
    out = []
    for r in reports:
        accepted = h.pipeline.validate(r.to_bytes(), "raw")
        assert isinstance(accepted, Accepted)
        out.append(h.pipeline.score(h.pipeline.cluster(accepted)))
    return out


def with_level(scored: Scored, level: Level, risk: float) -> Scored:
    """The same score at a chosen level: the alert stage is tested apart from the risk model."""
    return scored.model_copy(
        update={"score": scored.score.model_copy(update={"level": level, "risk": risk})}
    )


LADDER: list[tuple[Level, float]] = [
    ("blue", 0.3),
    ("yellow", 0.5),
    ("yellow", 0.55),
    ("orange", 0.7),
    ("red", 0.85),
    ("red", 0.9),
]


def test_alert_emits_when_the_level_reaches_the_minimum(
    harness: Callable[..., Harness], growing: list[Report], config: Config
) -> None:
    assert config.alerts.min_level == "yellow"
    h = harness()
    scores = [with_level(s, *lr) for s, lr in zip(scored_for(h, growing), LADDER, strict=True)]

    async def go() -> None:
        async with h.agent("alert").test_context() as agent:
            for s in scores:
                await agent.put(s.to_bytes())
            await agent.put(scores[-1].to_bytes())  # a redelivery changes nothing
            await agent.put(b"marker")  # its dead letter comes after everything above
            await h.wait_sent("dlq", 1)

    run(go())
    outs = h.values("alerts", AlertOut)
    assert [(o.event.kind, o.alert.level, o.alert.version) for o in outs] == [
        ("raised", "yellow", 1),
        ("level_changed", "orange", 2),
        ("level_changed", "red", 3),
    ]
    assert outs[0].alert.raised_at == scores[1].score.scored_at
    assert outs[-1].alert.risk == 0.85
    assert {o.alert.alert_id for o in outs} == {outs[0].alert.alert_id}
    assert {o.alert.matter_id for o in outs} == {scores[0].matter.matter_id}
    assert [k for k, _ in h.sent["alerts"]] == [outs[0].alert.alert_id.encode()] * 3


@pytest.mark.parametrize("level", ["none", "blue"])
def test_alert_stays_quiet_below_the_minimum(
    harness: Callable[..., Harness], growing: list[Report], level: Level
) -> None:
    h = harness()
    [calm] = scored_for(h, growing[:1])

    async def go() -> None:
        async with h.agent("alert").test_context() as agent:
            await agent.put(with_level(calm, level, 0.1).to_bytes())
            await agent.put(b"not json")  # a marker: once its dead letter is out, calm was done
            await h.wait_sent("dlq", 1)

    run(go())
    assert h.sent["alerts"] == []


@pytest.mark.parametrize(
    ("agent_name", "record", "out_stage"),
    [("cluster", "Accepted", "matters"), ("risk", "MatterUpdate", "risk")],
)
@pytest.mark.parametrize(
    "bad",
    [b"\xff\xfe garbage", b"{}", b'{"report": 1}', b"[]"],
    ids=["bytes", "empty", "wrong", "list"],
)
def test_malformed_message_becomes_a_dead_letter_and_the_agent_goes_on(
    harness: Callable[..., Harness],
    make_accepted: Callable[..., Accepted],
    agent_name: str,
    record: str,
    out_stage: str,
    bad: bytes,
) -> None:
    h = harness()
    accepted = make_accepted()
    good = accepted.to_bytes() if agent_name == "cluster" else h.pipeline.cluster(accepted)
    good_bytes = good if isinstance(good, bytes) else good.to_bytes()

    async def go() -> None:
        async with h.agent(agent_name).test_context() as agent:
            await agent.put(bad)
            await agent.put(good_bytes)  # raises here if the agent crashed on the bad one
            await h.wait_sent(out_stage, 1)

    run(go())
    [letter] = h.values("dlq", DeadLetter)
    assert (
        letter.topic
        == getattr(h.topics, {"cluster": "valid", "risk": "matters"}[agent_name]).get_topic_name()
    )
    assert letter.reason_en == f"not a {record} message"
    assert letter.reason_zh == f"不是有效的{record}消息"
    assert letter.payload == bad.decode("utf-8", errors="replace")


def test_malformed_message_on_the_risk_topic_becomes_a_dead_letter(
    harness: Callable[..., Harness], growing: list[Report]
) -> None:
    h = harness()
    scores = scored_for(h, growing)

    async def go() -> None:
        async with h.agent("alert").test_context() as agent:
            await agent.put(b'{"matter": null}')
            for s in scores:
                await agent.put(s.to_bytes())
            await h.wait_sent("alerts", 1)

    run(go())
    [letter] = h.values("dlq", DeadLetter)
    assert letter.topic == h.topics.risk.get_topic_name()
    assert letter.reason_en == "not a Scored message"
    assert {e.field for e in letter.errors} >= {"matter", "score"}


def test_the_agents_chained_raise_one_alert_for_a_growing_matter(
    harness: Callable[..., Harness], growing: list[Report]
) -> None:
    """Each stage's output fed to the next, as the topics would."""
    h = harness()

    async def stage(name: str, inputs: list[bytes], out: str, n: int) -> list[bytes]:
        async with h.agent(name).test_context() as agent:
            for raw in inputs:
                await agent.put(raw)
            await h.wait_sent(out, n)
        return [v for _, v in h.sent[out]]

    async def go() -> None:
        valid = await stage("validate", [r.to_bytes() for r in growing], "valid", 6)
        matters = await stage("cluster", valid, "matters", 6)
        risk = await stage("risk", matters, "risk", 6)
        await stage("alert", risk, "alerts", 1)

    run(go())
    updates = h.values("matters", MatterUpdate)
    assert len({u.matter.matter_id for u in updates}) == 1
    last = updates[-1].matter
    assert (last.n_reports, last.n_informants, last.n_villages) == (6, 4, 3)
    assert last.people_max == 60 and last.signals == ["collective_petition"]
    alerts = h.values("alerts", AlertOut)
    assert {a.alert.matter_id for a in alerts} == {last.matter_id}
    assert h.sent["dlq"] == []


@pytest.fixture
def chdb(warehouse_backend: Callable[..., Backend]) -> Backend:
    backend = warehouse_backend("chdb")
    migrate(backend)
    return backend


def sink_name(h: Harness, stage: str) -> str:
    return "sink_" + getattr(h.topics, stage).get_topic_name().replace(".", "_")


async def wait_rows(backend: Backend, table: str, n: int, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = backend.query(f"SELECT count() AS n FROM {backend.database}.{table} FINAL")[0]["n"]
        if got >= n:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{table}: {got} rows, wanted {n}")
        await asyncio.sleep(0.05)


def test_sinks_write_every_stage_to_the_warehouse(
    harness: Callable[..., Harness], chdb: Backend, growing: list[Report]
) -> None:
    h = harness(
        sink=lambda: WarehouseWriter(chdb, 100, 0.05),
        writer_batch_rows=100,
        writer_flush_seconds=0.05,
    )
    assert {sink_name(h, s) for s in ("matters", "risk", "alerts", "dlq")} <= set(h.app.agents)
    updates = []
    for r in growing:
        accepted = h.pipeline.validate(r.to_bytes(), "raw")
        assert isinstance(accepted, Accepted)
        updates.append(h.pipeline.cluster(accepted))
    scored = [h.pipeline.score(u) for u in updates]
    alerts = [a for a in (h.pipeline.alert(s) for s in scored) if a is not None]
    assert alerts

    async def feed(stage: str, values: list[bytes], table: str, n: int) -> None:
        async with h.agent(sink_name(h, stage)).test_context() as agent:
            for v in values:
                await agent.put(v)
            await agent.put(values[0])  # a redelivery: idempotent in the warehouse
            await wait_rows(chdb, table, n)

    async def go() -> None:
        await feed("matters", [u.to_bytes() for u in updates], "reports", 6)
        await feed("risk", [s.to_bytes() for s in scored], "risk_scores", 6)
        await feed("alerts", [a.to_bytes() for a in alerts], "alert_events", len(alerts))
        await feed("dlq", [b"not a dead letter"], "dead_letters", 1)

    run(go())
    q = Queries(chdb)
    counts = q.counts()
    assert counts["reports"] == 6 and counts["matters"] == 6 and counts["risk_scores"] == 6
    assert counts["alerts"] == 1 and counts["alert_events"] == len(alerts)
    matter_id = updates[-1].matter.matter_id
    matter = q.get_matter(matter_id)
    assert matter is not None and len(matter["reports"]) == 6
    assert matter["alert"]["level"] == alerts[-1].alert.level
    [letter] = chdb.query(f"SELECT topic, payload FROM {chdb.database}.dead_letters")
    assert letter == {"topic": h.topics.dlq.get_topic_name(), "payload": "not a dead letter"}
