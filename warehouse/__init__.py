"""The warehouse: backends (ClickHouse server or embedded chdb), migrations, writer, queries."""

from warehouse.backend import Backend, connect
from warehouse.migrations import migrate
from warehouse.queries import Queries
from warehouse.writer import BufferFullError, WarehouseWriter

__all__ = ["Backend", "BufferFullError", "Queries", "WarehouseWriter", "connect", "migrate"]
