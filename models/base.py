"""The shape every stream model shares, and how its state is saved.

A model is pure and deterministic: ``init() -> state`` and
``update(state, *event) -> (state, out)``. ``update`` may reuse the state object
it was given (for speed) but never mutates its event. States save to and load
from JSON text, exactly: an update after ``from_json(s.to_json())`` gives the
same result as one on ``s``.

>>> from models.risk import RiskState
>>> RiskState.from_json(RiskState(n_scored=2).to_json())
RiskState(n_scored=2)
"""

from __future__ import annotations

import base64
import json
from typing import Any, ParamSpec, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from minqing.errors import ModelError

STATE_FORMAT = 1


class SavedState(Protocol):
    """A model state that saves to JSON text and loads back exactly."""

    def to_json(self) -> str: ...

    @classmethod
    def from_json(cls, data: str | bytes) -> Self: ...


S = TypeVar("S", bound=SavedState)
Out = TypeVar("Out", covariant=True)
# The event arguments: [Accepted] for clustering, [Matter, str, datetime] for risk...
E = ParamSpec("E")


class StreamModel(Protocol[S, E, Out]):
    """``init() -> state``; ``update(state, *event) -> (state, out)``."""

    def init(self) -> S: ...

    def update(self, state: S, /, *args: E.args, **kwargs: E.kwargs) -> tuple[S, Out]: ...


def dump_state(kind: str, body: dict[str, Any]) -> str:
    """Canonical JSON of a state, tagged with its kind and format version.

    >>> dump_state("risk", {"n_scored": 1})
    '{"format":1,"kind":"risk","body":{"n_scored":1}}'
    """
    doc = {"format": STATE_FORMAT, "kind": kind, "body": body}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def load_state(kind: str, data: str | bytes) -> dict[str, Any]:
    """The body of a state saved by ``dump_state``; ModelError when it is not one.

    >>> load_state("risk", '{"format":1,"kind":"risk","body":{"n_scored":1}}')
    {'n_scored': 1}
    """
    try:
        doc = json.loads(data)
        ok = doc["format"] == STATE_FORMAT and doc["kind"] == kind
        body = doc["body"]
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"not a saved {kind} state / 不是有效的模型状态") from e
    if not ok or not isinstance(body, dict):
        raise ModelError(f"not a saved {kind} state (format {STATE_FORMAT}) / 模型状态版本不符")
    return body


def pack_array(a: npt.NDArray[Any], dtype: str) -> str:
    """A numpy array as base64 of its little-endian bytes (exact, compact).

    >>> unpack_array(pack_array(np.array([0.1, 2.0]), "<f8"), "<f8").tolist()
    [0.1, 2.0]
    """
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def unpack_array(s: str, dtype: str) -> npt.NDArray[Any]:
    """The inverse of ``pack_array`` (a fresh, writable array)."""
    return np.frombuffer(base64.b64decode(s), dtype=dtype).astype(dtype[1:])
