"""Embedded chdb backend (ClickHouse in-process), shared by all threads of a process.

chdb hosts one engine per process, bound to one data path. Every backend on
that path shares one `chdb.session.Session` and one lock: the web app and the
Faust worker run in different threads of one process, and we do not rely on
the session being thread safe.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_driver.util.escape import escape_params

from minqing.errors import WarehouseError
from warehouse.backend import Params, Row, brief, columns_of, ensure_database, identifier

log = logging.getLogger(__name__)

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_WIDE_INT = re.compile(r"^U?Int(64|128|256)$")
_TZ = re.compile(r"^DateTime\('([^']+)'\)$")
Convert = Callable[[Any], Any]


@dataclass
class _Shared:
    path: str
    session: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    refs: int = 0


_registry_lock = threading.Lock()
_open: dict[str, _Shared] = {}


def _acquire(path: str) -> _Shared:
    """The process-wide session for ``path``, opened on first use."""
    with _registry_lock:
        shared = _open.get(path)
        if shared is None:
            if _open:
                raise WarehouseError(
                    f"chdb already has {next(iter(_open))} open; one data path per process"
                )
            shared = _Shared(path, _new_session(path))
            _open[path] = shared
        shared.refs += 1
        return shared


def _new_session(path: str) -> Any:
    try:
        from chdb import session

        s = session.Session(path)
        # Keep 64-bit integers as JSON numbers whatever the engine's default is.
        s.query("SET output_format_json_quote_64bit_integers = 0")
    except Exception as e:
        raise WarehouseError(f"chdb {path}: {brief(e)}") from e
    log.info("chdb session opened at %s", path)
    return s


def _release(shared: _Shared) -> None:
    with _registry_lock, shared.lock:
        shared.refs -= 1
        if shared.refs == 0:
            _open.pop(shared.path, None)
            shared.session.close()
            log.info("chdb session closed at %s", shared.path)


class _UtcServer:
    """Stands in for clickhouse-driver's server info: escaping needs a timezone."""

    @staticmethod
    def get_timezone() -> str:
        return "UTC"


class _EscapeContext:
    server_info = _UtcServer()


def substitute(sql: str, params: Params) -> str:
    """Fill ``%(name)s`` placeholders using clickhouse-driver's own escaping.

    >>> substitute("SELECT %(s)s, %(n)s", {"s": "it's 中", "n": 3})
    "SELECT 'it\\\\'s 中', 3"
    """
    if params is None:
        return sql
    try:
        return sql % escape_params(params, _EscapeContext())
    except (KeyError, ValueError, TypeError) as e:
        raise WarehouseError(f"cannot fill SQL parameters: {e!r}") from e


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(_TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to the warehouse")


def json_lines(rows: list[Row]) -> str:
    """Rows as JSONEachRow text; datetimes as UTC ``YYYY-MM-DD hh:mm:ss``."""
    return "\n".join(json.dumps(r, ensure_ascii=False, default=_json_value) for r in rows)


def _timezone_of(ch_type: str) -> tzinfo | None:
    """DateTime('UTC') -> UTC (as clickhouse-driver returns it); plain DateTime -> naive."""
    match = _TZ.match(ch_type)
    if match is None:
        return None
    name = match.group(1)
    return UTC if name in ("UTC", "Etc/UTC") else ZoneInfo(name)


def _converter(ch_type: str) -> Convert | None:
    """How to turn a JSON value of this ClickHouse type into what clickhouse-driver returns."""
    nullable = ch_type.startswith("Nullable(")
    inner = ch_type[9:-1] if nullable else ch_type
    convert: Convert | None = None
    if inner.startswith("Array("):
        item = _converter(inner[6:-1])
        convert = None if item is None else (lambda v: [item(x) for x in v])
    elif inner == "DateTime" or _TZ.match(inner):
        tz = _timezone_of(inner)
        convert = lambda v: datetime.strptime(v, _TIME_FORMAT).replace(tzinfo=tz)  # noqa: E731
    elif inner == "Date":
        convert = date.fromisoformat
    elif _WIDE_INT.match(inner):
        convert = int
    if convert is None or not nullable:
        return convert
    return lambda v: None if v is None else convert(v)


def _rows_from_json(text: str) -> list[Row]:
    if not text.strip():
        return []
    result = json.loads(text)
    converters = {c["name"]: _converter(c["type"]) for c in result["meta"]}
    todo = [(name, conv) for name, conv in converters.items() if conv is not None]
    rows: list[Row] = result["data"]
    for row in rows:
        for name, conv in todo:
            row[name] = conv(row[name])
    return rows


class ChdbBackend:
    """An embedded warehouse at ``path``; database ``database`` is created if missing."""

    def __init__(self, path: str | Path, database: str) -> None:
        self.database = identifier(database)
        self.path = str(Path(path).resolve())
        self._shared: _Shared | None = _acquire(self.path)
        ensure_database(self)

    def _run(self, sql: str, fmt: str = "CSV") -> str:
        shared = self._shared
        if shared is None:
            raise WarehouseError(f"chdb {self.path}: backend is closed")
        with shared.lock:
            try:
                result = shared.session.query(sql, fmt)
                return "" if result is None else str(result.data())
            except Exception as e:
                log.warning("chdb %s failed: %s", self.path, brief(e))
                raise WarehouseError(f"chdb {self.path}: {brief(e)}") from e

    def command(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns no rows."""
        self._run(substitute(sql, params))

    def query(self, sql: str, params: Params = None) -> list[Row]:
        """Run a SELECT; values have the Python types clickhouse-driver would give."""
        return _rows_from_json(self._run(substitute(sql, params), "JSON"))

    def insert(self, table: str, rows: list[Row]) -> None:
        """Insert dict rows with one ``INSERT ... FORMAT JSONEachRow`` statement."""
        if not rows:
            return
        columns = ", ".join(columns_of(rows))
        try:
            body = json_lines(rows)
        except TypeError as e:
            raise WarehouseError(f"chdb {self.path}: {e}") from e
        head = f"INSERT INTO {self.database}.{identifier(table)} ({columns}) FORMAT JSONEachRow"
        self._run(f"{head}\n{body}")

    def close(self) -> None:
        """Release this backend's share of the session; the last one closes it."""
        shared, self._shared = self._shared, None
        if shared is not None:
            _release(shared)
