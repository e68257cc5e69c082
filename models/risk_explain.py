"""The analyst's sentence: the factors that raised a matter's risk most, in short Chinese.

Feature contributions are summed into factor groups; the three groups that
added most become phrases, told in a fixed order, e.g.
"24小时内3个村11人次反映；提及'集体上访'；已超时2天未答复".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from minqing.records import Matter
from models.risk_features import DAY, FEATURES, HOUR
from models.risk_tracks import MatterTrack

GROUPS: dict[str, tuple[str, ...]] = {
    "reports": ("n_1h", "n_24h", "n_7d", "n_total", "accel_24h", "gap_hours", "pace"),
    "spread": ("informants", "informants_24h", "villages", "villages_24h", "townships"),
    "people": ("people", "people_growth_24h"),
    "intent": (
        "intent_kinds",
        "intent_24h",
        "intent_informants",
        "intent_now",
        "intent_score",
        "denied",
    ),
    "danger": ("danger",),
    "repeat": ("repeat_closed", "repeat_words", "reopened"),
    "unanswered": (
        "answered",
        "intent_after_answer",
        "solved",
        "overdue_days",
        "no_answer",
        "age_hours",
    ),
    "anger": ("angry", "dissatisfied", "calm"),
    "cause": ("collective_cause", "same_cause_72h"),
}
GROUP_NAMES = tuple(GROUPS)
# Rows: groups; columns: FEATURES. ``MATRIX @ contributions`` sums contributions by group.
MATRIX = np.array([[float(f in GROUPS[g]) for f in FEATURES] for g in GROUP_NAMES])
CATEGORY_ZH = {
    "land_requisition": "土地征用", "demolition": "拆迁安置", "wage_arrears": "拖欠工资",
    "enterprise_restructuring": "企业改制", "environment": "环境污染",
    "property_management": "物业管理",
}  # fmt: skip
DANGER_ZH = {"self_harm_threat": "有人扬言自伤", "violence_threat": "有人扬言暴力"}
TOP = 3


def top_factors(by_group: Mapping[str, float], top: int = TOP) -> list[str]:
    """Groups that raised the risk, largest first (at most ``top``).

    >>> top_factors({"reports": 0.4, "intent": 1.2, "cause": -0.1, "people": 0.05})
    ['intent', 'reports', 'people']
    """
    up = sorted((g for g, v in by_group.items() if v > 0), key=lambda g: (-by_group[g], g))
    return up[:top]


def activity(track: MatterTrack, matter: Matter, now: float) -> str:
    """How many reports from how many villages, over the shortest telling window.

    >>> from models.risk_tracks import MatterTrack
    >>> t = MatterTrack("t", None, (), 0.0, 0.0, 0.0, recent=[(0.0, "a", "v1", 0),
    ...     (3600.0, "b", "v2", 0), (7200.0, "c", "v3", 1)])
    >>> m = Matter(matter_id="M", version=3, title="t", category=None, n_reports=3,
    ...     n_informants=3, n_villages=3, people_max=0, first_seen="2024-01-01T00:00:00Z",
    ...     last_seen="2024-01-01T00:00:00Z")
    >>> activity(t, m, 7200.0)
    '6小时内3个村3人次反映'
    """
    for hours in (6, 24, 24 * 7):
        since = now - hours * HOUR
        window = [e for e in track.recent if e[0] > since - 1e-9]
        if len(window) >= 3 or (hours == 24 * 7 and len(window) >= 2):
            villages = len({e[2] for e in window if e[2]})
            where = f"{villages}个村" if villages >= 2 else ""
            span = f"{hours // 24}天" if hours > 24 else f"{hours}小时"
            return f"{span}内{where}{len(window)}人次反映"
    where = f"{matter.n_villages}个村" if matter.n_villages >= 2 else ""
    return f"累计{where}{matter.n_reports}人次反映"


def phrase(group: str, track: MatterTrack, matter: Matter, now: float, limit_hours: float,
           names: Mapping[str, str]) -> str:  # fmt: skip
    """One factor group, told with the matter's own numbers ("" when there is nothing to tell)."""
    if group in ("reports", "spread"):
        return activity(track, matter, now)
    if group == "people" and track.people_max > 0:
        grown = track.people_max - track.people_before(now - DAY)
        return f"涉及约{track.people_max}人" + (f"，一天内增加{grown}人" if grown > 0 else "")
    if group == "intent" and track.kinds - DANGER_ZH.keys():
        said = [names.get(k, k) for k in sorted(track.kinds) if k not in DANGER_ZH]
        return "提及" + "、".join(f"'{s}'" for s in said)
    if group == "danger":
        return "，".join(DANGER_ZH[k] for k in sorted(track.kinds) if k in DANGER_ZH)
    if group == "repeat" and (track.repeat_closed or track.reopened):
        return "同地类似事项结案后再次出现"
    if group == "repeat" and track.repeat_words:
        return "反复反映"
    if group == "unanswered":
        return unanswered(track, now, limit_hours)
    if group == "anger" and (track.dissatisfied or track.angry):
        return "对答复不满意" if track.dissatisfied else "群众情绪激动"
    if group == "cause" and track.category in CATEGORY_ZH:
        return f"属{CATEGORY_ZH[track.category]}类矛盾"
    return ""


def unanswered(track: MatterTrack, now: float, limit_hours: float) -> str:
    """Overdue without an answer, or complaints of no answer.

    >>> from models.risk_tracks import MatterTrack
    >>> unanswered(MatterTrack("t", None, (), 0.0, 0.0, 0.0), 5 * 86400.0, 72.0)
    '已超时2天未答复'
    """
    over = (now - track.first_ts) / HOUR - limit_hours
    if track.answered_ts is None and over >= 24:
        return f"已超时{int(over // 24)}天未答复"
    if track.answered_ts is None and over > 0:
        return f"已超时{int(over)}小时未答复"
    return "多次反映未获答复" if track.no_answer else ""


def explain(by_group: Mapping[str, float], track: MatterTrack, matter: Matter, now: float,
            limit_hours: float, names: Mapping[str, str]) -> tuple[list[str], str]:  # fmt: skip
    """The factors that raised the risk AND have something to show for it (at most TOP),
    and their phrases in reading order, activity first, without repeats."""
    told = {g: phrase(g, track, matter, now, limit_hours, names) for g in GROUP_NAMES}
    factors = [g for g in top_factors(by_group, len(GROUP_NAMES)) if told[g]][:TOP]
    parts: list[str] = []
    for g in GROUP_NAMES:
        text = told[g] if g in factors or g == "reports" else ""
        if text and text not in parts:
            parts.append(text)
    return factors, "；".join(parts)
