"""The issue's targets against the last results in bench/results/: met or missed, by how much.

Runs nothing: it reads the pipeline and dashboard results (run those first),
so ``python -m bench.run targets`` refreshes the verdicts alone. Issue 3's clusterer
targets come from the scaling result.
"""

from __future__ import annotations

from typing import Any

from bench.report import result, table

E2E_PER_S, E2E_SHARE, P99_MS, P95_MS = 2000, 0.20, 1000.0, 200.0
CLUSTER_PER_S, CLUSTER_AT, SLOWDOWN = 2000, 100_000, 1.5


def _pipeline(found: dict[str, Any]) -> list[dict[str, Any]]:
    t = found["throughput"]
    out = [
        {"target": f"end to end >= {E2E_PER_S} reports/s, one worker",
         "measured": t["reports_per_s"], "met": t["reports_per_s"] >= E2E_PER_S},
        {"target": f"end to end >= {E2E_SHARE:.0%} of the raw broker ceiling",
         "measured": f"{100 * t['ratio_to_ceiling']:.2f}%",
         "met": t["ratio_to_ceiling"] >= E2E_SHARE},
    ]  # fmt: skip
    for config in ("default", "tuned"):
        p99 = found["latency"][config]["at_500_per_s"]["report_to_alert"]["p99_ms"]
        out.append({"target": f"p99 report->alert <= 1 s at 500 reports/s ({config})",
                    "measured": f"{p99:,.0f} ms", "met": p99 <= P99_MS})  # fmt: skip
    return out


def _dashboard(found: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for engine in ("chdb", "clickhouse_18_16"):
        queries = found[engine]["queries"]
        over = {q: v["p95_ms"] for q, v in queries.items() if v["p95_ms"] > P95_MS}
        worst = max(queries, key=lambda q: queries[q]["p95_ms"])
        measured = f"worst {worst} {queries[worst]['p95_ms']} ms"
        out.append({"target": f"dashboard p95 <= 200 ms at {found['reports']:,} reports "
                              f"({engine})", "measured": measured, "met": not over,
                    "over": over})  # fmt: skip
    return out


def _scaling(found: dict[str, Any]) -> list[dict[str, Any]]:
    at = {p["history"]: p["reports_per_s"] for p in found["points"]}
    out = []
    if CLUSTER_AT in at:
        rate = at[CLUSTER_AT]
        out.append({"target": f"clusterer alone >= {CLUSTER_PER_S} reports/s at "
                              f"{CLUSTER_AT:,} reports of history, one core",
                    "measured": rate, "met": rate >= CLUSTER_PER_S})  # fmt: skip
    if len(at) > 1:
        slow = found["slowdown_last_vs_first"]
        out.append({"target": f"clusterer at {max(at):,} history at most {SLOWDOWN}x slower "
                              f"than at {min(at):,}", "measured": f"{slow}x",
                    "met": slow <= SLOWDOWN})  # fmt: skip
    return out


def run(quick: bool = False) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    pipeline, dashboard, scaling = result("pipeline"), result("dashboard"), result("scaling")
    if scaling:
        rows += _scaling(scaling)
    if pipeline:
        rows += _pipeline(pipeline)
    if dashboard:
        rows += _dashboard(dashboard)
    return {"targets": rows, "quick_results": bool(quick)}


def markdown(r: dict[str, Any]) -> str:
    rows = [(t["target"], t["measured"], "met" if t["met"] else "**missed**")
            for t in r["targets"]]  # fmt: skip
    note = "Why a target is missed, and what to change: bench/results/PROFILE.md.\n\n"
    return "## Targets\n\n" + note + table(("target", "measured", ""), rows)
