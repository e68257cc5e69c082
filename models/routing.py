"""Routing: who receives an alert, from a tree in configs/routing.toml.

The tree is matched like Alertmanager's: the root always matches; from a node,
descend into the first child whose region-code prefix, categories and minimum
level all match the alert; a child inherits what it does not set. Leaders are
added by their liaison areas (联系包保: region-code prefixes), and categories that
need several departments also go to the joint-conference (联席会议) queue.

>>> cfg = RoutingConfig.model_validate({
...     "city": "city_office",
...     "route": {"office": "county_office", "lead_unit": "county_office", "routes": [
...         {"region": "330681109", "lead_unit": "fengqiao", "routes": [
...             {"categories": ["environment"], "co_units": ["eco_bureau"]}]}]},
...     "leaders": {"li": {"name": "李", "areas": ["330681109"]}},
...     "joint_conference": {"categories": ["demolition"], "queue": "jc_queue"}})
>>> r = Router(cfg).route("330681109", "environment", "red")
>>> (r.office, r.lead_unit, r.co_units, r.leaders, r.joint)
('county_office', 'fengqiao', ['eco_bureau'], ['li'], False)
>>> [rung.recipients for rung in ladder(r)]
[['fengqiao'], ['county_office'], ['li'], ['city_office']]
>>> Router(cfg).route("330681110", "demolition", "yellow").lead_unit
'county_office'
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minqing.errors import ConfigError
from minqing.records import LEVELS, Level

RUNGS = ("township", "county", "leader", "city")


class RouteNode(BaseModel):
    """One node of the tree; unset fields are inherited from the parent."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    region: str = ""
    categories: list[str] = Field(default_factory=list)
    min_level: Level = "none"
    office: str | None = None
    lead_unit: str | None = None
    co_units: list[str] | None = None
    leaders: list[str] | None = None
    routes: list[RouteNode] = Field(default_factory=list)

    def matches(self, region: str, category: str, level: Level) -> bool:
        return (
            region.startswith(self.region)
            and (not self.categories or category in self.categories)
            and LEVELS.index(level) >= LEVELS.index(self.min_level)
        )


class Leader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    areas: list[str] = Field(default_factory=list)
    cases: list[str] = Field(default_factory=list)


class JointConference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(default_factory=list)
    queue: str = ""


class RoutingConfig(BaseModel):
    """The whole routing file (sections other than these belong to other models)."""

    model_config = ConfigDict(extra="ignore")

    city: str = ""
    route: RouteNode
    leaders: dict[str, Leader] = Field(default_factory=dict)
    joint_conference: JointConference = Field(default_factory=JointConference)


class Route(BaseModel):
    """Where one alert goes; kept in the alert's state so escalation is replayable."""

    model_config = ConfigDict(frozen=True)

    office: str
    lead_unit: str
    co_units: list[str] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    joint: bool = False
    queue: str = ""
    city: str = ""
    path: list[str] = Field(default_factory=list)


class Rung(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    recipients: list[str]


class Router:
    """``route(region_code, category, level) -> Route``; pure once built."""

    def __init__(self, cfg: RoutingConfig) -> None:
        self.cfg = cfg

    def route(self, region: str | None, category: str | None, level: Level) -> Route:
        region, category = region or "", category or ""
        node, fields, path = self.cfg.route, _fields(self.cfg.route, {}), [self.cfg.route.name]
        while True:
            child = next((c for c in node.routes if c.matches(region, category, level)), None)
            if child is None:
                break
            node, fields = child, _fields(child, fields)
            path.append(child.name or child.region or ",".join(child.categories))
        office = fields.get("office") or ""
        jc = self.cfg.joint_conference
        joint = bool(category) and category in jc.categories
        leaders = _unique([*fields.get("leaders", []), *self.area_leaders(region)])
        return Route(
            office=office, lead_unit=fields.get("lead_unit") or office,
            co_units=list(fields.get("co_units", [])), leaders=leaders, joint=joint,
            queue=jc.queue if joint else "", city=self.cfg.city, path=[p for p in path if p],
        )  # fmt: skip

    def area_leaders(self, region: str) -> list[str]:
        """Leaders whose liaison areas (联系包保) contain this region code."""
        return [
            lid
            for lid, leader in self.cfg.leaders.items()
            if region and any(region.startswith(a) for a in leader.areas)
        ]


def ladder(route: Route) -> list[Rung]:
    """The ladder township -> county office -> owning leader -> city, empty rungs left out.

    >>> [r.name for r in ladder(Route(office="o", lead_unit="t", city=""))]
    ['township', 'county']
    """
    township = _unique([route.lead_unit, route.queue])
    rungs = [
        Rung(name="township", recipients=township),
        Rung(name="county", recipients=[route.office] if route.office else []),
        Rung(name="leader", recipients=list(route.leaders)),
        Rung(name="city", recipients=[route.city] if route.city else []),
    ]
    return [r for r in rungs if r.recipients]


def load_routing(path: Path) -> RoutingConfig:
    """Read configs/routing.toml; ConfigError when it is missing or wrong."""
    try:
        return RoutingConfig.model_validate(read_toml(path))
    except ValidationError as e:
        raise ConfigError(f"invalid routing / 路由配置无效 {path}: {e}") from e


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found / 找不到配置文件: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid config / 配置无效 {path}: {e}") from e


def _fields(node: RouteNode, inherited: dict[str, Any]) -> dict[str, Any]:
    own = {k: getattr(node, k) for k in ("office", "lead_unit", "co_units", "leaders")}
    return {**inherited, **{k: v for k, v in own.items() if v is not None}}


def _unique(items: list[str]) -> list[str]:
    """Order kept, blanks and repeats dropped.

    >>> _unique(["a", "", "b", "a"])
    ['a', 'b']
    """
    return [x for i, x in enumerate(items) if x and x not in items[:i]]
