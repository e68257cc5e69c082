"""``python -m web up [--demo]``: ``minqing up`` with the UI mounted, whatever intake.py does.

Until ``create_web_app`` calls ``mount_ui`` itself this wraps it; once it does,
``mount_ui`` sees the UI already there and the wrapper changes nothing. The
browser tests start the stack this way so they pass before and after the wiring.
"""

from __future__ import annotations

import sys
from typing import Any

from fastapi import FastAPI

import minqing.stack
from minqing import cli
from producers.intake import create_web_app
from web.routes import mount_ui


def create_with_ui(settings: Any, config: Any, outbox: Any, queries: Any, **extra: Any) -> FastAPI:
    app = create_web_app(settings, config, outbox, queries, **extra)
    mount_ui(app, settings, config, queries)
    return app


def main() -> None:
    minqing.stack.create_web_app = create_with_ui  # type: ignore[assignment]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
