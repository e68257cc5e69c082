"""The labelled development set: real messages from ../shared/data/teddy2020c plus our labels.

The messages have no open licence, so none of their text is in this repository:
this module reads them from the shared data folder at run time and joins the
labels committed in bench/labels/ (message ids and matter labels only; how they
were made: bench/labels/README.md). The result is JSONL in the report format
``minqing replay`` reads (as ../shared/checks/fixtures/replay_input.jsonl is),
with one extra field, ``matter_label``.

Which messages: every distinct message of the four files with full text, with a
message that the competition files repeat under another id (same title and same
minute, or same title and opening, from another file) kept once. Messages the
labels do not list are matters of their own. A labelled matter that goes quiet
for more than EPISODE_GAP_DAYS and comes back counts as a new matter.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "labels" / "teddy_matters.csv"
FILES = (  # in order of preference when one message is in several files
    "attachment4_messages_with_replies.csv",
    "official_q1_test_set_unlabeled.csv",
    "attachment2_subset1842_full_fields.csv",
    "attachment2_sample495_full_fields.csv",
)
# The two attachment-2 files are excerpts of one file: one source.
SOURCE = (0, 1, 2, 2)
COLUMNS = {"留言编号": "id", "留言用户": "user", "留言主题": "title", "留言时间": "time",
           "留言详情": "content"}  # fmt: skip
EXPECTED = 7768
EPISODE_GAP_DAYS = 90
CST = timezone(timedelta(hours=8))


def shared_data() -> Path:
    """The shared data folder: $MINQING_SHARED_DATA, else ../shared/data next to the repo."""
    return Path(os.environ.get("MINQING_SHARED_DATA", ROOT.parent / "shared" / "data"))


def available() -> bool:
    folder = shared_data() / "teddy2020c"
    return all((folder / f).is_file() for f in FILES)


def _messages() -> pd.DataFrame:
    frames = []
    for rank, name in enumerate(FILES):
        df = pd.read_csv(shared_data() / "teddy2020c" / name, dtype=str, keep_default_na=False)
        df = df[list(COLUMNS)].rename(columns=COLUMNS).assign(rank=SOURCE[rank])
        frames.append(df)
    msgs = pd.concat(frames, ignore_index=True).drop_duplicates("id")
    msgs["title"] = msgs["title"].str.strip()
    msgs["at"] = pd.to_datetime(msgs["time"], format="mixed")
    msgs = msgs.sort_values(["rank", "id"], key=_id_order).reset_index(drop=True)
    return msgs[~_repeated(msgs)].sort_values(["at", "id"], key=_id_order)


def _id_order(col: pd.Series) -> pd.Series:
    return col.astype(int) if col.name == "id" else col


def _repeated(msgs: pd.DataFrame) -> pd.Series:
    """Rows that repeat an earlier-preferred row of another file under a new id."""
    by_minute = msgs["title"] + "|" + msgs["at"].dt.strftime("%Y%m%d%H%M")
    by_opening = msgs["title"] + "|" + msgs["content"].str[:80]
    drop = pd.Series(False, index=msgs.index)
    for key in (by_minute, by_opening):
        first_rank = msgs.groupby(key)["rank"].transform("first")
        drop |= key.duplicated() & (msgs["rank"] != first_rank)
    return drop


def _labels(msgs: pd.DataFrame) -> dict[str, str]:
    """Message id -> matter label, split into episodes at gaps over EPISODE_GAP_DAYS."""
    with LABELS.open(encoding="utf-8") as f:
        raw = {r["message_id"]: r["matter"] for r in csv.DictReader(f)}
    at = dict(zip(msgs["id"], msgs["at"], strict=True))
    members: dict[str, list[str]] = defaultdict(list)
    for mid, label in raw.items():
        if mid in at:
            members[label].append(mid)
    out: dict[str, str] = {}
    for label, ids in members.items():
        ids.sort(key=lambda i: (at[i], int(i)))
        episode = 0
        for prev, cur in zip([None, *ids], ids, strict=False):
            if prev is not None and (at[cur] - at[prev]).days > EPISODE_GAP_DAYS:
                episode += 1
            out[cur] = f"{label}.{episode}"
    return out


def _report(row: Any, label: str) -> dict[str, Any]:
    at: datetime = row.at.to_pydatetime().replace(tzinfo=CST)
    return {
        "report_id": row.id, "received_at": at.isoformat(), "informant_id": row.user or "unknown",
        "region_code": None, "region_text": None, "category": None,
        "title": row.title[:100] or "（无标题）", "content": row.content[:2000],
        "people_involved": None, "signals": [], "channel": "online", "matter_label": label,
    }  # fmt: skip


def build(out: Path) -> Path | None:
    """Write the labelled set to ``out`` (JSONL, in time order); None when the data is absent."""
    if not available():
        log.warning("no shared data at %s: the real-text development set is skipped",
                    shared_data() / "teddy2020c")  # fmt: skip
        return None
    msgs = _messages()
    if len(msgs) != EXPECTED:
        log.warning("%d messages, expected %d: the shared data changed?", len(msgs), EXPECTED)
    labels = _labels(msgs)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as f:
        for row in msgs.itertuples(index=False):
            label = labels.get(str(row.id), f"s{row.id}")
            f.write(json.dumps(_report(row, label), ensure_ascii=False) + "\n")
    log.info("development set: %d reports, %d labelled matters -> %s",
             len(msgs), len(set(labels.values())), out)  # fmt: skip
    return out
