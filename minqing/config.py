"""The office-editable configuration in configs/*.toml, typed."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from minqing.errors import ConfigError
from minqing.records import Level


class RegionConfig(BaseModel):
    file: str
    county_code: str


class ClusteringConfig(BaseModel):
    window_days: float = 14
    threshold: float = 0.42
    ngram_min: int = 2
    ngram_max: int = 3
    content_chars: int = 300


class RiskWeights(BaseModel):
    bias: float = -3.0
    reports: float = 1.2
    informants: float = 1.6
    villages: float = 1.4
    people: float = 1.6
    signals: float = 1.4
    danger: float = 1.5


class RiskConfig(BaseModel):
    blue: float = 0.25
    yellow: float = 0.45
    orange: float = 0.65
    red: float = 0.80
    weights: RiskWeights = Field(default_factory=RiskWeights)


class AlertConfig(BaseModel):
    min_level: Level = "yellow"


class Config(BaseModel):
    region: RegionConfig
    categories: dict[str, str]
    signals: dict[str, str]
    levels: dict[str, str]
    clustering: ClusteringConfig = Field(default_factory=ClusteringConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    time_limits: dict[str, float] = Field(default_factory=dict)
    config_dir: Path = Path("configs")

    @property
    def region_file(self) -> Path:
        return self.config_dir / self.region.file


def load_config(config_dir: Path) -> Config:
    """Read configs/minqing.toml; a clear ConfigError when it is missing or wrong."""
    path = config_dir / "minqing.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Config.model_validate({**data, "config_dir": config_dir})
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found / 找不到配置文件: {path}") from e
    except (tomllib.TOMLDecodeError, ValidationError) as e:
        raise ConfigError(f"invalid config / 配置无效 {path}: {e}") from e
