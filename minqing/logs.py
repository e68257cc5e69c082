"""Logging set-up for every entry point: text for people, JSON lines for collectors."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from minqing.settings import Settings

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Client libraries log every connection at INFO; their warnings still show.
NOISY = ("kafka", "aiokafka", "httpx", "faust", "mode", "uvicorn.error")


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))  # fmt: skip
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
