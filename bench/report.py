"""Markdown for bench/results/SUMMARY.md: tables, and each figure as a share of the ceiling."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bench.common import RESULTS


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def result(name: str) -> dict[str, Any] | None:
    """The last written result of benchmark ``name``, if any."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def ceiling() -> float | None:
    """Raw produce-and-consume messages/s of bench/broker_ceiling.py's last run."""
    found = result("broker_ceiling")
    return float(found["produce_consume_msgs_per_s"]) if found else None


def share(value: float, of: float | None) -> str:
    """``value`` as a percentage of ``of`` (the broker ceiling), or n/a."""
    return f"{100 * value / of:.2f}%" if of else "n/a"
