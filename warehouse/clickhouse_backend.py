"""ClickHouse server backend over the native protocol (clickhouse-driver)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from clickhouse_driver import Client

from minqing.errors import WarehouseError
from warehouse.backend import Params, Row, brief, columns_of, ensure_database, identifier

log = logging.getLogger(__name__)


class ClickHouseBackend:
    """One clickhouse-driver client; a lock serialises it (a client is one connection)."""

    def __init__(
        self,
        host: str,
        port: int,
        database: str,
        user: str = "default",
        password: str = "",
        *,
        connect_timeout: float = 5.0,
        send_receive_timeout: float = 60.0,
    ) -> None:
        self.database = identifier(database)
        self.address = f"{host}:{port}"
        self._lock = threading.Lock()
        self._closed = False
        self._client = Client(
            host=host,
            port=port,
            user=user,
            password=password,
            connect_timeout=connect_timeout,
            send_receive_timeout=send_receive_timeout,
            client_name="minqing",
        )
        ensure_database(self)

    def _execute(self, sql: str, params: Any = None, **kwargs: Any) -> Any:
        with self._lock:
            if self._closed:
                raise WarehouseError(f"clickhouse {self.address}: backend is closed")
            try:
                return self._client.execute(sql, params, **kwargs)
            except Exception as e:
                # Driver, socket and type errors alike: callers handle one error type.
                log.warning("clickhouse %s failed: %s", self.address, brief(e))
                raise WarehouseError(f"clickhouse {self.address}: {brief(e)}") from e

    def command(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns no rows (DDL, ALTER, ...)."""
        self._execute(sql, params)

    def query(self, sql: str, params: Params = None) -> list[Row]:
        """Run a SELECT and return rows as dicts (DateTime('UTC') -> aware datetime)."""
        rows, columns = self._execute(sql, params, with_column_types=True)
        names = [name for name, _ in columns]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def insert(self, table: str, rows: list[Row]) -> None:
        """Insert dict rows into ``database.table`` in one native block."""
        if not rows:
            return
        columns = columns_of(rows)
        sql = f"INSERT INTO {self.database}.{identifier(table)} ({', '.join(columns)}) VALUES"
        self._execute(sql, rows)

    def close(self) -> None:
        """Disconnect; closing twice is harmless, using a closed backend raises."""
        with self._lock:
            self._closed = True
            self._client.disconnect()
