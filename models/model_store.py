"""Versioned risk-model artifacts, the PROMOTED pointer, and hot reload in a running worker.

A folder holds ``<version>.json`` (the model) and ``<version>.metrics.json``
(how it measured when it was trained) for every version, and a ``PROMOTED``
file naming the version in use. Writes are atomic (temp file, then rename), so
a reader never sees half a file. ``ModelStore.current()`` checks the pointer at
most every ``check_seconds`` and loads a newly promoted version; a version that
fails to load is logged and the previous one kept.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from minqing.errors import ModelError
from models.risk_model import RiskModel, content_id

log = logging.getLogger(__name__)
POINTER = "PROMOTED"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def next_version(folder: Path, model_json: str) -> str:
    """``risk-v<n>-<content id>``: n counts the versions already in the folder."""
    # Only the models: a version's metrics and held-out results sit beside it as x.y.json.
    n = 1 + sum(1 for p in folder.glob("risk-v*.json") if p.name.count(".") == 1)
    return f"risk-v{n}-{content_id(model_json)}"


def save(folder: Path, model: RiskModel, metrics: dict[str, Any]) -> RiskModel:
    """Write a new version (model and metrics); the model as saved, with its version."""
    from dataclasses import replace

    folder.mkdir(parents=True, exist_ok=True)
    version = next_version(folder, model.to_json())
    model = replace(model, version=version)
    _write_atomic(folder / f"{version}.json", model.to_json())
    doc = {"version": version, **metrics}
    _write_atomic(folder / f"{version}.metrics.json", json.dumps(doc, ensure_ascii=False, indent=1))
    return model


def promote(folder: Path, version: str) -> None:
    """Make ``version`` the one workers use (they pick it up without a restart)."""
    if not (folder / f"{version}.json").is_file():
        raise ModelError(f"no such model version / 无此模型版本: {version} in {folder}")
    _write_atomic(folder / POINTER, version + "\n")


def promoted_version(folder: Path) -> str | None:
    try:
        return (folder / POINTER).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def promoted_path(folder: Path) -> Path | None:
    version = promoted_version(folder)
    return folder / f"{version}.json" if version else None


class HasModel(Protocol):
    model: RiskModel | None


class ModelStore:
    """The promoted model of a folder, reloaded when the pointer changes."""

    def __init__(self, folder: Path, check_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.folder, self.check_seconds, self.clock = folder, check_seconds, clock
        self.model: RiskModel | None = None
        self._seen: tuple[int, int] | None = None
        self._checked = float("-inf")

    def current(self) -> RiskModel | None:
        """The promoted model (a cheap check of the pointer file at most every check_seconds)."""
        now = self.clock()
        if now - self._checked < self.check_seconds:
            return self.model
        self._checked = now
        try:
            st = (self.folder / POINTER).stat()
        except OSError:
            return self.model
        if (st.st_mtime_ns, st.st_size) != self._seen:
            self._seen = (st.st_mtime_ns, st.st_size)
            self._load()
        return self.model

    def _load(self) -> None:
        path = promoted_path(self.folder)
        if path is None or (self.model is not None and path.stem == self.model.version):
            return
        try:
            self.model = RiskModel.load(path)
            log.info("risk model %s loaded / 已加载风险模型", self.model.version)
        except ModelError as e:
            log.error("promoted risk model unusable, keeping the previous / 保留原模型: %s", e)

    def refresh(self, scorer: HasModel) -> bool:
        """Give ``scorer`` the current model; True when that changed it (never unloads one)."""
        model = self.current()
        if model is None or model is scorer.model:
            return False
        scorer.model = model
        return True
