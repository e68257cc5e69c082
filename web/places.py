"""Region tree for the cascading picker, names for codes, and the offline map layout.

The map is schematic on purpose: real township boundaries are not public in a
form we may ship, and online tiles are out (no external requests). Each
township gets a square tile at a hand-placed grid cell that keeps the rough
geography (north up), read from ``<region file stem>_layout.csv`` next to the
region file (columns code,name,x,y).

>>> short_name("枫溪村村民委员会"), short_name("江东社区居民委员会"), short_name("枫桥镇")
('枫溪村', '江东社区', '枫桥镇')
"""

from __future__ import annotations

import csv
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minqing.regions import Regions, name_variants

log = logging.getLogger(__name__)
TILE = 0.9  # tile side in grid units; the rest is the gap between tiles


def short_name(name: str) -> str:
    """The shortest everyday form of an official name (what a volunteer would say)."""
    return min(name_variants(name) or {name}, key=len)


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    x: int
    y: int


def layout_path(region_file: Path) -> Path:
    return region_file.with_name(f"{region_file.stem}_layout.csv")


def load_layout(region_file: Path) -> list[Tile]:
    """Tiles of the schematic map; empty (the map page then shows a table) if absent."""
    path = layout_path(region_file)
    if not path.is_file():
        log.warning("no map layout at %s: the map page will show a table only", path)
        return []
    with path.open(encoding="utf-8") as f:
        return [Tile(r["code"], r["name"], int(r["x"]), int(r["y"])) for r in csv.DictReader(f)]


def tiles_geojson(tiles: list[Tile]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of square tiles, for ``echarts.registerMap``.

    Rows grow southwards, so y is negated to keep north up.

    >>> g = tiles_geojson([Tile("1", "甲", 0, 0)])
    >>> g["features"][0]["geometry"]["coordinates"][0][:2]
    [[0.0, -0.0], [0.9, -0.0]]
    """
    features = []
    for t in tiles:
        x0, y0 = float(t.x), float(t.y)
        ring = [[x0, -y0], [x0 + TILE, -y0], [x0 + TILE, -(y0 + TILE)], [x0, -(y0 + TILE)]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": t.code, "label": t.name},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def region_tree(regions: Regions, county_code: str) -> dict[str, Any]:
    """County -> townships -> villages, with short names, sorted by code (stable order)."""
    townships = sorted(
        (r for r in regions.townships() if r.parent_code == county_code), key=lambda r: r.code
    )
    return {
        "code": county_code,
        "name": regions.name(county_code) or county_code,
        "townships": [
            {
                "code": t.code,
                "name": t.name,
                "villages": [
                    {"code": v.code, "name": short_name(v.name)}
                    for v in sorted(regions.villages(t.code), key=lambda r: r.code)
                ],
            }
            for t in townships
        ],
    }


def names_by_code(regions: Regions) -> dict[str, str]:
    """Code -> display name for townships and villages (villages in their short form)."""
    out: dict[str, str] = {}
    for code, region in regions.by_code.items():
        out[code] = short_name(region.name) if region.level == "village" else region.name
    return out


def load_leaders(config_dir: Path) -> list[dict[str, Any]]:
    """Leaders and their liaison areas (联系包保镇街) from configs/routing.toml, if present.

    Read here rather than through the routing model: the leader view only needs names and
    area prefixes, and must still open when routing is not configured.
    """
    path = config_dir / "routing.toml"
    try:
        leaders = tomllib.loads(path.read_text(encoding="utf-8")).get("leaders", {})
    except (OSError, tomllib.TOMLDecodeError) as e:
        log.warning("no leaders for the leader view (%s): %s", path, e)
        return []
    return [
        {
            "id": key,
            "name": str(v.get("name", key)),
            "title": str(v.get("title", "")),
            "areas": [str(a) for a in v.get("areas", [])],
        }
        for key, v in leaders.items()
        if isinstance(v, dict)
    ]
