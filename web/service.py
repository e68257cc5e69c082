"""What the UI endpoints answer: warehouse rows joined with config, names and time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from minqing.config import Config
from minqing.regions import Regions
from warehouse.scope import ScopeFilter
from web import feed
from web.places import load_layout, load_leaders, names_by_code, region_tree, tiles_geojson
from web.queries import AlertFilter, UiQueries

Row = dict[str, Any]
# warehouse/queries.py's get_matter(matter_id, scope): None when unknown or out of scope.
MatterLookup = Callable[[str, ScopeFilter | None], dict[str, Any] | None]
Scope = ScopeFilter | None


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class UiData:
    """The UI's read model. ``get_matter`` is warehouse/queries.py's, reused for exports.

    Every figure takes the reader's ``scope`` (None: unrestricted), so a person sees
    only the matters of their regions, units or cases.
    """

    queries: UiQueries
    config: Config
    get_matter: MatterLookup
    now: Callable[[], datetime] = utc_now
    regions: Regions = field(init=False)
    names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.regions = Regions.from_csv(self.config.region_file)
        self.names = names_by_code(self.regions)
        self.tree = region_tree(self.regions, self.config.region.county_code)
        self.layout = load_layout(self.config.region_file)
        self.leaders = load_leaders(self.config.config_dir)

    def alerts(self, f: AlertFilter, scope: Scope = None) -> list[Row]:
        rows = self.queries.alerts(f, scope)
        dues = self.queries.case_deadlines([r["matter_id"] for r in rows])
        for r in rows:
            if r["matter_id"] in dues:
                r.update(
                    due_at=dues[r["matter_id"]]["due_at"], due_kind=dues[r["matter_id"]]["due_kind"]
                )
        return feed.feed(rows, self.now(), self.config.time_limits, self.names, f.overdue)

    def matters(self, limit: int = 1000, township: str | None = None, scope: Scope = None
                ) -> list[Row]:  # fmt: skip
        rows = self.queries.matters(limit, township, scope)
        return [{**r, "township_name": self.names.get(r["township"] or "", "")} for r in rows]

    def matter_reports(self, matter_id: str, scope: Scope = None) -> list[Row]:
        found = self.get_matter(matter_id, scope) or {}
        return [
            {
                **r,
                "village_name": self.names.get(r.get("village") or "", ""),
                "township_name": self.names.get(r.get("township") or "", ""),
            }
            for r in found.get("reports", [])
        ]

    def trends(self, days: int, scope: Scope = None) -> Row:
        """Series per local day, zero-filled, so charts and tables line up."""
        now = self.now()
        raw = self.queries.trends(days, now, scope)
        first = (now - timedelta(days=days - 1)).astimezone(self._tz()).date()
        day_list = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        series = {name: _pivot(rows, day_list) for name, rows in raw.items()}
        return {"days": day_list, "series": series, "names": self.names}

    def trend_rows(self, days: int, scope: Scope = None) -> list[Row]:
        """The same figures as one long table, for export."""
        raw = self.queries.trends(days, self.now(), scope)
        return [
            {**r, "series": name, "key": self.names.get(r["key"], r["key"])}
            for name, rows in raw.items()
            for r in rows
        ]

    def townships(self, scope: Scope = None) -> list[Row]:
        now = self.now()
        open_alerts = self.alerts(AlertFilter(status="open", limit=5000), scope)
        week = self.queries.daily(
            "reports", "ifNull(township, '')", "received_at", now - timedelta(days=7), scope
        )
        counts: dict[str, int] = {}
        for r in week:
            counts[r["key"]] = counts.get(r["key"], 0) + int(r["n"])
        stats = feed.township_stats(open_alerts, counts)
        rows = [
            stats.get(t["code"]) or feed.blank_stats(t["code"], 0) for t in self.tree["townships"]
        ]
        return [{**r, "name": self.names.get(r["code"], r["code"])} for r in rows]

    def map_data(self, scope: Scope = None) -> Row:
        return {"geojson": tiles_geojson(self.layout), "townships": self.townships(scope)}

    def overview(self, scope: Scope = None) -> Row:
        """Figures for the KPI page and the leader's digest, derived from the warehouse."""
        now = self.now()
        alerts = self.alerts(AlertFilter(limit=5000), scope)
        window = timedelta(days=self.config.clustering.window_days)
        times = self.queries.action_times(scope)
        return {
            "at": now.isoformat(),
            "reports": self.queries.report_counts(now, scope),
            "matters": self.queries.matter_counts(now - window, scope),
            "alerts": feed.alert_figures(alerts, times, now),
            # Needs the follow-up visits of the lifecycle API (回访); not in the warehouse yet.
            "satisfaction_rate": None,
        }

    def kpi_rows(self, scope: Scope = None) -> list[Row]:
        figures = _flatten({k: v for k, v in self.overview(scope).items() if k != "at"})
        return [{"figure": k, "value": v} for k, v in figures.items()]

    def _tz(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.queries.tz)


def _pivot(rows: list[Row], days: list[str]) -> dict[str, list[int]]:
    index = {d: i for i, d in enumerate(days)}
    out: dict[str, list[int]] = {}
    for r in rows:
        if r["day"] in index:
            out.setdefault(r["key"], [0] * len(days))[index[r["day"]]] += int(r["n"])
    return out


def _flatten(data: Row, prefix: str = "") -> Row:
    out: Row = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
