"""The `minqing` command's own logic: argument parsing, exit codes, offline commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from minqing import cli


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [k for k in os.environ if k.startswith("MINQING_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path / "data"))


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    assert "minqing" in capsys.readouterr().err


def test_up_options_parse() -> None:
    args = cli._parser().parse_args(["up", "--demo", "--detached"])
    assert (args.cmd, args.demo, args.detached) == ("up", True, True)
    assert cli._parser().parse_args(["up"]).detached is False


def test_separate_intake_and_worker_need_external_services(tmp_path: Path) -> None:
    """chdb allows one process, so split deployments need Kafka and a ClickHouse server."""
    assert cli.main(["intake"]) == 2
    assert cli.main(["worker"]) == 2
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_missing_config_dir_is_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MINQING_CONFIG_DIR", str(tmp_path / "nowhere"))
    assert cli.main(["simulate", "--output", str(tmp_path / "x.jsonl")]) == 2


def test_simulate_then_replay(tmp_path: Path) -> None:
    reports, out = tmp_path / "reports.jsonl", tmp_path / "replay.jsonl"
    assert cli.main(["simulate", "--output", str(reports), "--matters", "4", "--days", "2"]) == 0
    lines = reports.read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["report_id"] for line in lines)
    assert cli.main(["replay", "--input", str(reports), "--output", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(lines)


def test_scenarios_offers_every_preset(tmp_path: Path) -> None:
    """The varied training sets of docs/RISK.md come from the command, not a module path."""
    args = cli._parser().parse_args(["scenarios", "--preset", "train-varied", "--output", "x"])
    assert args.preset == "train-varied"
    out = tmp_path / "varied"
    assert cli.main(["scenarios", "--preset", "train-varied", "--seed", "3",
                     "--n-matters", "20", "--days", "5", "--output", str(out)]) == 0  # fmt: skip
    assert (out / "reports.jsonl").read_text(encoding="utf-8").strip()
