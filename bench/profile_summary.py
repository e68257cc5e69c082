"""Summarise a py-spy speedscope profile: where the samples went, per thread.

``python -m bench.profile_summary PROFILE.json [--top N] [--match TEXT]`` prints,
for each thread, the share of samples under each function (inclusive) and the
share spent in it (self). ``--match`` keeps functions whose name or file contains
TEXT, to see a subsystem (e.g. ``minqing``, ``faust``, ``chdb``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def frame_names(doc: dict[str, Any]) -> list[str]:
    out = []
    for f in doc["shared"]["frames"]:
        file = str(f.get("file", "")).split("site-packages/")[-1].split("/work/main/")[-1]
        out.append(f"{f['name']} ({file}:{f.get('line', '?')})")
    return out


def tally(profile: dict[str, Any], names: list[str]) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, inclusive counts, self counts) of one thread's sampled profile."""
    total, incl, own = 0, Counter[str](), Counter[str]()
    for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
        total += weight
        for name in {names[i] for i in stack}:
            incl[name] += weight
        if stack:
            own[names[stack[-1]]] += weight
    return total, incl, own


def summary(path: Path, top: int = 25, match: str = "") -> str:
    doc = json.loads(path.read_text())
    names = frame_names(doc)
    lines: list[str] = []
    for profile in doc["profiles"]:
        total, incl, own = tally(profile, names)
        if not total:
            continue
        lines.append(f"## {profile['name']}: {total} samples")
        for title, counts in (("inclusive", incl), ("self", own)):
            lines.append(f"### {title}")
            picked = [(k, v) for k, v in counts.most_common() if match in k][:top]
            lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in picked]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("profile", type=Path)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--match", default="")
    args = p.parse_args(argv)
    sys.stdout.write(summary(args.profile, args.top, args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())
