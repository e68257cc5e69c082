"""`minqing worker` for older bench scripts that set ``BENCH_FETCH_MAX_WAIT_MS``.

The consumer fetch wait this module used to patch into Faust's driver is now a
setting of the worker itself (``MINQING_FETCH_MAX_WAIT_MS``, default 50 ms; see
streams/app.py), so this only maps the old variable onto the setting and runs
the normal entry point. ``python -m bench.patched_worker worker`` takes the same
arguments as `minqing`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

from minqing.cli import main


def apply_env(env: MutableMapping[str, str]) -> None:
    """Let ``BENCH_FETCH_MAX_WAIT_MS`` set the worker's fetch wait unless the setting is given."""
    wait = env.get("BENCH_FETCH_MAX_WAIT_MS")
    if wait:
        env.setdefault("MINQING_FETCH_MAX_WAIT_MS", wait)


if __name__ == "__main__":
    apply_env(os.environ)
    sys.exit(main(sys.argv[1:]))
