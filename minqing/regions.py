"""Regions: 12-digit statistical division codes, and placing a report by code or text.

A code places itself by structure even when unknown: the first 6 digits are the
county, the first 9 the township.

>>> r = Regions.from_rows([("330681", "诸暨市", "3306", "county"),
...     ("330681109", "枫桥镇", "330681", "township"),
...     ("330681109201", "枫溪村村民委员会", "330681109", "village")])
>>> r.locate("330681109201", None).township
'330681109'
>>> r.locate(None, "枫溪村口的工厂").village
'330681109201'
>>> r.locate("999999000111", None).county
'999999'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from minqing.errors import ConfigError
from minqing.records import Place

_SUFFIXES = (
    ("村村民委员会", "村"),
    ("村委会", "村"),
    ("社区居民委员会", "社区"),
    ("居民委员会", ""),
    ("社区居委会", "社区"),
    ("居委会", ""),
)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent_code: str
    level: str


def name_variants(name: str) -> set[str]:
    """Short forms people write: 枫溪村村民委员会 -> 枫溪村."""
    out = {name}
    for long, short in _SUFFIXES:
        if name.endswith(long):
            stem = name[: -len(long)]
            if len(stem + short) >= 2:
                out.add(stem + short)
    return {v for v in out if len(v) >= 2}


@dataclass
class Regions:
    by_code: dict[str, Region] = field(default_factory=dict)
    _names: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str]]) -> Regions:
        r = cls()
        r.add_rows(rows)
        return r

    @classmethod
    def from_csv(cls, path: Path) -> Regions:
        r = cls()
        r.add_csv(path)
        return r

    def add_csv(self, path: Path) -> None:
        try:
            with path.open(encoding="utf-8") as f:
                rows = [
                    (d["code"], d["name"], d["parent_code"], d["level"]) for d in csv.DictReader(f)
                ]
        except (OSError, KeyError) as e:
            raise ConfigError(
                f"cannot read regions / 无法读取区划文件 {path} "
                "(columns code,name,parent_code,level)"
            ) from e
        self.add_rows(rows)

    def add_rows(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        for code, name, parent, level in rows:
            self.by_code[code] = Region(code, name, parent, level)
            if level in ("village", "township"):
                self._names.extend((v, code) for v in name_variants(name))
        # Longest names first, so 东白湖镇 wins over 白湖.
        self._names.sort(key=lambda nc: (-len(nc[0]), nc[1]))

    def name(self, code: str | None) -> str | None:
        region = self.by_code.get(code or "")
        return region.name if region else None

    def villages(self, township: str | None = None) -> list[Region]:
        return [
            r
            for r in self.by_code.values()
            if r.level == "village" and (township is None or r.parent_code == township)
        ]

    def townships(self) -> list[Region]:
        return [r for r in self.by_code.values() if r.level == "township"]

    def match_text(self, text: str) -> str | None:
        """The most specific place named: a village (in the named township if one is
        named too) before a township; longer names before shorter ones."""
        found = [code for variant, code in self._names if variant in text]
        villages = [c for c in found if len(c) == 12]
        townships = [c for c in found if len(c) == 9]
        if villages and townships:
            inside = [v for v in villages if v[:9] == townships[0]]
            return (inside or villages)[0]
        return next(iter(villages or townships), None)

    def locate(self, code: str | None, text: str | None) -> Place:
        if not code and text:
            code = self.match_text(text)
        if not code:
            return Place(name=text or None)
        return Place(
            village=code if len(code) == 12 else None,
            township=code[:9] if len(code) >= 9 else None,
            county=code[:6],
            name=self.name(code) or text or None,
        )
