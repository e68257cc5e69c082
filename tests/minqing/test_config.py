"""configs/minqing.toml: loaded, typed, and a clear ConfigError when missing or wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from minqing.config import Config, load_config
from minqing.errors import ConfigError, MinqingError
from minqing.settings import REPO_ROOT

CONFIGS = REPO_ROOT / "configs"


def test_load_repo_config() -> None:
    config = load_config(CONFIGS)
    assert isinstance(config, Config)
    assert config.region.county_code == "330681"
    assert config.region_file == CONFIGS / "regions" / "330681_zhuji.csv"
    assert config.region_file.is_file()
    assert config.categories["land_requisition"] == "土地征用"
    assert config.signals["collective_petition"] == "集体上访"
    assert config.alerts.min_level == "yellow"
    assert config.risk.blue < config.risk.yellow < config.risk.orange < config.risk.red
    assert config.clustering.threshold == pytest.approx(0.42)
    assert config.time_limits["red"] == 2


def copy_configs(tmp_path: Path) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target


def test_a_copied_config_dir_points_at_its_own_regions(tmp_path: Path) -> None:
    config = load_config(copy_configs(tmp_path))
    assert config.region_file == tmp_path / "configs" / "regions" / "330681_zhuji.csv"


def test_missing_file_is_a_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nowhere")
    text = str(info.value)
    assert "not found" in text and "找不到配置文件" in text
    assert str(tmp_path / "nowhere" / "minqing.toml") in text
    assert isinstance(info.value, MinqingError)


def test_broken_toml_is_a_clear_config_error(tmp_path: Path) -> None:
    configs = copy_configs(tmp_path)
    (configs / "minqing.toml").write_text("[region\nfile = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid config / 配置无效") as info:
        load_config(configs)
    assert "minqing.toml" in str(info.value)


def test_wrong_value_is_a_clear_config_error(tmp_path: Path) -> None:
    configs = copy_configs(tmp_path)
    path = configs / "minqing.toml"
    text = path.read_text(encoding="utf-8").replace('min_level = "yellow"', 'min_level = "pink"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="min_level"):
        load_config(configs)


def test_missing_section_is_a_clear_config_error(tmp_path: Path) -> None:
    configs = copy_configs(tmp_path)
    (configs / "minqing.toml").write_text('[categories]\nother = "其他"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="region"):
        load_config(configs)


def test_defaults_apply_to_omitted_sections(tmp_path: Path) -> None:
    (tmp_path / "minqing.toml").write_text(
        '[region]\nfile = "r.csv"\ncounty_code = "330681"\n[categories]\n[signals]\n[levels]\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.alerts.min_level == "yellow"
    assert config.risk.weights.bias == -3.0
    assert config.region_file == tmp_path / "r.csv"
