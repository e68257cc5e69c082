"""Chinese text handling, names, metrics and evaluation: the pure helpers of the clusterer."""

from __future__ import annotations

import argparse
import doctest
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import models.candidates
import models.cluster_ops
import models.clustering_metrics
import models.entities
import models.matcher
import models.matter_state
import models.report_view
import models.textproc
from minqing.settings import REPO_ROOT, Settings
from models.clustering_metrics import bcubed, score
from models.entities import scan, similarity
from models.evaluate_clustering import main as evaluate_main
from models.textproc import Words, normalize

MODULES = [
    models.textproc,
    models.entities,
    models.report_view,
    models.matcher,
    models.matter_state,
    models.candidates,
    models.cluster_ops,
    models.clustering_metrics,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and (result.attempted > 0 or module is models.cluster_ops)


def test_normalize_width_script_numbers_and_dates() -> None:
    assert normalize("Ａ２區景蓉華苑，拖欠三個月工資！") == "a2区景蓉华苑 拖欠3个月工资"
    assert normalize("2019年4月25日、4月3号和2019-04-25 反映") == "和 反映"
    assert normalize("十五中 二十多名 两户") == "15中 20多名 2户"
    assert normalize("一直 统一") == "一直 统一"  # numerals count only before a counter


def test_words_keep_names_whole_and_places_apart() -> None:
    words = Words(["景蓉华苑"], places=["枫溪村"])
    assert "景蓉华苑" in words("景蓉华苑物业乱收停车费")
    assert words("枫溪村景蓉华苑停电") == ["景蓉华苑", "停电"]
    assert words.without_places("枫溪村景蓉华苑停电") == "景蓉华苑停电"


def test_names_kinds_cores_and_units() -> None:
    names, units = scan(
        normalize("投诉K9县青竹湖镇汇金城三期电梯，永盛袜业有限公司欠薪，范林村15组")
    )
    found = {(e.kind, e.core) for e in names}
    assert {
        ("compound", "汇金"),
        ("company", "永盛"),
        ("village", "范林"),
        ("village", "15"),
    } <= found
    assert units == ["k9县", "青竹湖镇"]


def test_name_likeness_tolerates_typos_not_other_names() -> None:
    assert similarity("华邦", "邦华") == 1.0 and similarity("景蓉华", "景蓉花") > 0.6
    assert similarity("恒信", "丰泰") == 0.0 and similarity("9号", "2号") == 0.0


def test_bcubed_scores_splits_and_merges() -> None:
    truth = ["a", "a", "a", "b"]
    assert bcubed(truth, ["x", "x", "x", "y"]) == (1.0, 1.0, 1.0)
    p, r, _ = bcubed(truth, ["x", "x", "y", "z"])  # a split
    assert p == 1.0 and r < 1.0
    p, r, _ = bcubed(truth, ["x"] * 4)  # everything merged
    assert r == 1.0 and p < 1.0
    assert score(truth, ["x", "x", "y", "z"]).n_found == 3


def test_evaluate_command_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = [("宏达化工厂偷排废水", "m1"), ("宏达化工厂偷排废水", "m1"), ("工地拖欠工资", "m2")]
    rows = [{"report_id": f"r{i}", "informant_id": f"i{i}", "title": t, "content": "",
             "received_at": f"2024-05-01T0{i}:00:00+08:00", "matter_label": lab}
            for i, (t, lab) in enumerate(labelled)]  # fmt: skip
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "figures.json"
    args = argparse.Namespace(input=path, json=out)
    assert evaluate_main(Settings(), args) == 0
    table = capsys.readouterr().out
    assert "B-cubed F1" in table and "AMI" in table
    assert json.loads(out.read_text())["n_reports"] == 3


def test_matter_ids_do_not_depend_on_the_hash_seed() -> None:
    code = ("from producers.simulator import SimConfig, scenario; from bench.common import "
            "regions, accepted; from models.clustering import Clusterer; from minqing.config "
            "import ClusteringConfig\nw = regions(); c = Clusterer(ClusteringConfig(), w); s = "
            "c.init()\nfor r, _ in scenario(SimConfig(seed=3, n_matters=25, days=3), w):\n"
            "    s, u = c.update(s, accepted(r, w)); print(u.matter.matter_id)")  # fmt: skip
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
        outs.append(run.stdout)
    assert outs[0] == outs[1] and len(outs[0].split()) > 50
