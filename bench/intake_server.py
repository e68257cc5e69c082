"""The intake as `minqing up` runs it, without the worker: tansu, chdb, relay, web.

``python -m bench.intake_server`` with the usual MINQING_* environment; it runs
until killed. The intake benchmark starts it in its own process so the load
generator and the server never share a GIL.
"""

from __future__ import annotations

import threading

from minqing import logs
from minqing.settings import Settings
from minqing.stack import Stack, on_signals, stop_with_parent


def main() -> None:
    settings = Settings()
    logs.configure(settings)
    stack = Stack.build(settings)
    on_signals(stack.halt)
    stop_with_parent()
    try:
        stack.start_broker()
        stack.ensure_topics()
        stack.start_web()
        threading.Event().wait()
    finally:
        stack.close()


if __name__ == "__main__":
    main()
