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


# Fitted by `python -m bench.run fit` (docs/CLUSTERING.md); configs/minqing.toml repeats them.
MATCH_WEIGHTS = {
    "title_cos": 1.3965,
    "title_max": 1.527,
    "content_cos": 2.4926,
    "words": 1.8392,
    "name_match": 2.7526,
    "name_conflict": -4.3277,
    "village_conflict": -0.2844,
    "unit_match": -0.0685,
    "unit_conflict": -2.924,
    "same_village": 2.6702,
    "same_town": 1.8428,
    "other_town": 0.0,
    "category_same": 0.5192,
    "category_diff": -4.4446,
    "log_gap_days": -2.3904,
    "same_informant": -0.354,
    "log_size": -1.4405,
}
MATCH_WEIGHTS_UNPLACED = {
    "title_cos": 3.0914,
    "title_max": 3.0094,
    "content_cos": 3.5903,
    "words": 2.8532,
    "name_match": 3.2101,
    "name_conflict": -0.2961,
    "village_conflict": -2.2285,
    "unit_match": 0.6582,
    "unit_conflict": -2.2426,
    "same_village": 0.0,
    "same_town": 0.0,
    "other_town": 0.0,
    "category_same": -1.941,
    "category_diff": -0.4522,
    "log_gap_days": -0.2685,
    "same_informant": 3.0817,
    "log_size": -2.4944,
}


class ClusteringConfig(BaseModel):
    # The first five drive models.baseline_clustering (kept as a benchmark reference).
    window_days: float = 14
    threshold: float = 0.42
    ngram_min: int = 2
    ngram_max: int = 3
    content_chars: int = 300
    # models.clustering.Clusterer; weights and thresholds fitted by bench/fit_matcher.py.
    matter_window_days: float = 60.0
    match_bias: float = -4.321
    match_weights: dict[str, float] = Field(default_factory=lambda: dict(MATCH_WEIGHTS))
    # Reports with no place: evidence weighs differently (text only), fitted apart.
    match_bias_unplaced: float = -5.875
    match_weights_unplaced: dict[str, float] = Field(
        default_factory=lambda: dict(MATCH_WEIGHTS_UNPLACED)
    )
    match_threshold: float = 0.3  # a report with a place joins at this P or above
    match_threshold_unplaced: float = 0.3  # one without: only text can tell
    merge_threshold: float = 0.9
    match_content_chars: int = 200
    max_candidates: int = 4
    posting_cap: int = 32
    recent_per_block: int = 2
    max_open_per_block: int = 4000
    # township code -> neighbouring township codes, searched too (both ways).
    neighbours: dict[str, list[str]] = Field(default_factory=dict)
    # A file of extra names (compounds, companies), one a line, for word segmentation.
    user_words_file: str = ""


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
    # "promoted" (the version the model folder's PROMOTED file names), "rule", or a model file.
    model: str = "promoted"
    model_dir: str = ""  # "" = the models/artifacts folder shipped with the code
    reload_seconds: float = 30.0  # how often a running worker looks for a newly promoted model
    horizon_hours: float = 168.0  # risk = P(a collective incident within this many hours)
    answer_limit_hours: float = 72.0  # a matter open this long without an answer is overdue


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
