"""The Faust worker, stopped by the process's own shutdown hook.

Faust's orderly stop can take longer than a supervisor waits (leaving a group on
a broker that is itself stopping). Nothing is lost by cutting it short: every
report stays in the intake outbox until the warehouse holds it, and the
warehouse writes are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust


class Worker(faust.Worker):
    def __init__(self, *args: Any, on_signal: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_signal = on_signal

    def _on_sigint(self) -> None:
        self._on_signal()

    def _on_sigterm(self) -> None:
        self._on_signal()
