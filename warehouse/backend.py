"""The warehouse backend protocol and `connect`, which picks an engine by URL.

Two engines speak the same small protocol: a ClickHouse server through
clickhouse-driver (``clickhouse://host:port/db``) and embedded chdb
(``chdb:///abs/path`` or ``chdb://rel/path``, database ``minqing`` unless
``?database=name`` is given). All SQL uses pyformat placeholders (``%(name)s``);
like DB-API, placeholders are only substituted when ``params`` is not None, so
write ``%%`` for a literal percent sign only in queries that take params.
Table names in SQL are always qualified with ``backend.database``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from minqing.errors import WarehouseError
from minqing.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "minqing"
DEFAULT_PORT = 9000
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

Row = dict[str, Any]
Params = dict[str, Any] | None


@runtime_checkable
class Backend(Protocol):
    """What the writer, migrations and queries need from an engine."""

    @property
    def database(self) -> str: ...

    def command(self, sql: str, params: Params = None) -> None: ...

    def query(self, sql: str, params: Params = None) -> list[Row]: ...

    def insert(self, table: str, rows: list[Row]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """A parsed warehouse URL."""

    scheme: str
    database: str
    host: str = ""
    port: int = DEFAULT_PORT
    path: str = ""


def identifier(name: str) -> str:
    """Return ``name`` if it is a safe SQL identifier (names cannot be parameters)."""
    if not _IDENTIFIER.match(name):
        raise WarehouseError(f"not a valid database or table name: {name!r}")
    return name


def parse_url(url: str) -> Target:
    """Split a warehouse URL into engine, location and database."""
    parts = urlsplit(url)
    query_db = parse_qs(parts.query).get("database", [None])[0]
    if parts.scheme == "clickhouse":
        database = query_db or unquote(parts.path.strip("/")) or DEFAULT_DATABASE
        port = parts.port or DEFAULT_PORT
        return Target("clickhouse", identifier(database), parts.hostname or "127.0.0.1", port)
    if parts.scheme == "chdb":
        # chdb:///abs/path -> netloc "" and path "/abs/path"; chdb://rel/path -> "rel" + "/path".
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise WarehouseError(f"chdb URL needs a path: {url!r}")
        return Target("chdb", identifier(query_db or DEFAULT_DATABASE), path=path)
    raise WarehouseError(f"unsupported warehouse URL {url!r} (use clickhouse:// or chdb://)")


def columns_of(rows: list[Row]) -> list[str]:
    """The shared column list of a batch; every row must have the same keys."""
    columns = list(rows[0])
    wanted = set(columns)
    for row in rows:
        if set(row) != wanted:
            odd = sorted(set(row) ^ wanted)
            raise WarehouseError(f"rows in one batch differ in columns: {odd}")
    return [identifier(c) for c in columns]


def brief(error: BaseException, limit: int = 500) -> str:
    """A one-line error text without server stack traces."""
    text = str(error).split("Stack trace", 1)[0]
    return " ".join(text.split())[:limit] or type(error).__name__


def ensure_database(backend: Backend) -> None:
    """Create the backend's database if missing.

    Looked up first: an app user with rights on its own database only may be
    refused CREATE DATABASE even with IF NOT EXISTS.
    """
    sql = "SELECT name FROM system.databases WHERE name = %(db)s"
    if not backend.query(sql, {"db": backend.database}):
        backend.command(f"CREATE DATABASE IF NOT EXISTS {backend.database}")


def connect(settings: Settings) -> Backend:
    """Open the backend named by ``settings.warehouse_url`` and create its database."""
    target = parse_url(settings.warehouse_url)
    log.info("warehouse: %s database %s", target.scheme, target.database)
    if target.scheme == "clickhouse":
        from warehouse.clickhouse_backend import ClickHouseBackend

        password = settings.warehouse_password.get_secret_value()
        return ClickHouseBackend(
            target.host, target.port, target.database, settings.warehouse_user, password
        )
    # Imported lazily: importing chdb starts an embedded engine.
    from warehouse.chdb_backend import ChdbBackend

    return ChdbBackend(target.path, target.database)
