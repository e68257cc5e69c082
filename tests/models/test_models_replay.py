"""Replay: one output line per input line, deterministic, tolerant of odd input."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from minqing.config import Config
from minqing.regions import Regions
from models.replay import replay, run_replay

POLLUTION = "村口化工厂每天夜里往河里偷排废水，河水发黑发臭，村民不敢用水。"


def row(i: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "report_id": f"r{i}", "received_at": f"2024-05-0{1 + i % 9}T08:00:00+08:00",
        "informant_id": f"inf-{i}", "region_code": "330681109201", "region_text": None,
        "category": None, "title": "化工厂偷排废水河水发臭", "content": POLLUTION,
        "people_involved": None, "signals": [], "channel": "import",
    }  # fmt: skip
    data.update(overrides)
    return data


ODD = [
    row(1, matter_label=7),  # an extra key
    row(2, region_code="999999123456"),  # an unknown, well-formed code
    row(3, region_code="999999123"),
    {k: v for k, v in row(4).items() if k != "report_id"},
    row(5, received_at="2024-05-02 09:00:00"),  # no offset: read as +08:00
    row(6, received_at=None),
    row(7, category="nonsense", people_involved=-3, signals=["gathering", "dancing"]),
    row(8, title="", content="x" * 2500, informant_id=None),
    row(9, region_code="33-06-81"),
]


def lines(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_one_line_per_input_in_event_order(config: Config, regions: Regions) -> None:
    rows = [row(i) for i in range(12)]
    out = list(replay(rows, config, regions))
    assert sorted(o["report_id"] for o in out) == sorted(r["report_id"] for r in rows)
    assert [list(o) for o in out] == [["report_id", "matter_id", "risk", "level", "at"]] * 12
    times = [o["at"] for o in out]
    assert times == sorted(times)
    # Same text, same village, within the window: one matter whose risk grows (calm words,
    # one village: the model keeps it low, so no level is asserted).
    assert len({o["matter_id"] for o in out}) == 1
    assert out[-1]["risk"] > out[0]["risk"]


def test_odd_reports_are_kept_not_dropped(
    config: Config, regions: Regions, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="models.replay"):
        out = list(replay(ODD, config, regions))
    assert len(out) == len(ODD)
    by_id = {o["report_id"]: o for o in out}
    assert {"r1", "r2", "r3", "r5", "r6", "r7", "r8", "r9"} <= set(by_id)
    assert out[-1]["report_id"] == "r6" and out[-1]["at"] is None
    assert by_id["r5"]["at"] == "2024-05-02 09:00:00"
    assert all(0.0 <= o["risk"] <= 1.0 for o in out)
    repaired = " ".join(r.getMessage() for r in caplog.records)
    assert "r7" in repaired and "r8" in repaired and "r1 " not in repaired


def test_unknown_region_codes_place_by_structure(config: Config, regions: Regions) -> None:
    rows = [row(1, region_code="999999123456"), row(2, region_code="999999123001"),
            row(3, region_code="999999456001")]  # fmt: skip
    out = {o["report_id"]: o["matter_id"] for o in replay(rows, config, regions)}
    assert out["r1"] == out["r2"] != out["r3"]


def test_missing_report_id_gets_a_stable_one(config: Config, regions: Regions) -> None:
    bare = {k: v for k, v in row(4).items() if k != "report_id"}
    first = next(replay([bare], config, regions))["report_id"]
    again = next(replay([dict(bare)], config, regions))["report_id"]
    assert first == again and first.startswith("R")


def test_run_replay_is_deterministic_byte_for_byte(
    tmp_path: Path, config: Config, regions: Regions
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(lines([row(i) for i in range(5)] + ODD) + "not json at all\n\n", "utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run_replay(src, a, config, regions) == 5 + len(ODD) + 1
    assert run_replay(src, b, config, regions) == 5 + len(ODD) + 1
    assert a.read_bytes() == b.read_bytes()
    out = [json.loads(x) for x in a.read_text("utf-8").splitlines()]
    assert len(out) == 5 + len(ODD) + 1
    assert all(o["level"] in ("none", "blue", "yellow", "orange", "red") for o in out)


def test_input_order_does_not_change_results(config: Config, regions: Regions) -> None:
    rows = [row(i, received_at="2024-05-01T08:00:00+08:00") for i in range(6)] + ODD
    forward = list(replay(rows, config, regions))
    backward = list(replay(list(reversed(rows)), config, regions))
    timed = [o for o in forward if o["at"] is not None]
    assert timed == [o for o in backward if o["at"] is not None]
