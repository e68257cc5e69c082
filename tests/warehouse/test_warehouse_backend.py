"""Both backends against real engines: types, escaping, errors, threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from minqing.errors import WarehouseError
from minqing.settings import Settings
from tests.conftest_clickhouse import APP_DATABASE, APP_PASSWORD, APP_USER, ClickHouseServer
from warehouse.backend import Backend, connect
from warehouse.migrations import migrate
from warehouse.queries import Queries

NASTY = [
    "it's",
    'say "hi"',
    "back\\slash\\",
    "trailing backslash \\",
    "\\'; DROP TABLE x; --",
    "百分比 100% 和 %(name)s",
    "多行\n文本\t制表",
    "群众反映：‘拆迁补偿’不到位",
]


def test_query_types_match_between_engines(raw_backend: Backend) -> None:
    sql = (
        "SELECT toDateTime('2024-05-01 08:00:00', 'UTC') AS at,"
        " toUInt64(18446744073709551615) AS big, CAST(NULL AS Nullable(Int32)) AS n,"
        " ['a', '中'] AS xs, 0.25 AS f, 'x' AS s"
    )
    (row,) = raw_backend.query(sql)
    assert row["at"] == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert row["at"].utcoffset().total_seconds() == 0
    assert row["big"] == 18446744073709551615
    assert row["n"] is None
    assert row["xs"] == ["a", "中"]
    assert row["f"] == 0.25
    assert row["s"] == "x"


def test_empty_result_is_empty_list(raw_backend: Backend) -> None:
    assert raw_backend.query("SELECT 1 AS x FROM system.one WHERE x = 0") == []


@pytest.mark.parametrize("value", NASTY)
def test_parameters_are_escaped(raw_backend: Backend, value: str) -> None:
    (row,) = raw_backend.query("SELECT %(v)s AS v, length(%(v)s) AS n", {"v": value})
    assert row["v"] == value
    assert row["n"] == len(value.encode("utf-8"))


def test_escaped_values_round_trip_through_a_table(raw_backend: Backend) -> None:
    db = raw_backend.database
    raw_backend.command(f"CREATE TABLE {db}.t (k String, v String) ENGINE = MergeTree() ORDER BY k")
    raw_backend.insert("t", [{"k": str(i), "v": v} for i, v in enumerate(NASTY)])
    for value in NASTY:
        rows = raw_backend.query(f"SELECT k FROM {db}.t WHERE v = %(v)s", {"v": value})
        assert [r["k"] for r in rows] == [str(NASTY.index(value))]
    ids = raw_backend.query(
        f"SELECT k FROM {db}.t WHERE v IN %(vs)s ORDER BY k", {"vs": tuple(NASTY[:2])}
    )
    assert [r["k"] for r in ids] == ["0", "1"]


def test_literal_percent_without_params(raw_backend: Backend) -> None:
    assert raw_backend.query("SELECT 'a%b' AS s") == [{"s": "a%b"}]


def test_driver_errors_become_warehouse_errors(raw_backend: Backend) -> None:
    with pytest.raises(WarehouseError) as info:
        raw_backend.query(f"SELECT * FROM {raw_backend.database}.no_such_table")
    assert info.value.__cause__ is not None
    assert "Stack trace" not in str(info.value)
    with pytest.raises(WarehouseError):
        raw_backend.command("THIS IS NOT SQL")
    with pytest.raises(WarehouseError):
        raw_backend.insert("no_such_table", [{"a": 1}])


def test_bad_parameters_are_warehouse_errors(raw_backend: Backend) -> None:
    with pytest.raises(WarehouseError):
        raw_backend.query("SELECT %(missing)s AS x", {"other": 1})
    with pytest.raises(WarehouseError):
        raw_backend.query("SELECT '100%' AS x, %(a)s AS a", {"a": 1})


def test_insert_of_nothing_is_a_no_op(raw_backend: Backend) -> None:
    raw_backend.insert("no_such_table", [])


def test_closed_backend_raises(kind: str, warehouse_backend: Callable[..., Backend]) -> None:
    backend = warehouse_backend(kind)
    backend.close()
    with pytest.raises(WarehouseError, match="closed"):
        backend.query("SELECT 1 AS x")
    backend.close()


def test_database_is_created_and_reused(
    kind: str, warehouse_settings: Callable[..., Settings]
) -> None:
    settings = warehouse_settings(kind)
    first = connect(settings)
    second = connect(settings)  # database exists already: no error
    try:
        assert isinstance(first, Backend)
        assert first.database == second.database
        names = first.query(
            "SELECT name FROM system.databases WHERE name = %(n)s", {"n": first.database}
        )
        assert names == [{"name": first.database}]
    finally:
        first.close()
        second.close()


def test_threads_share_one_backend(raw_backend: Backend) -> None:
    db = raw_backend.database
    raw_backend.command(f"CREATE TABLE {db}.t (k String, n UInt32) ENGINE = MergeTree() ORDER BY k")
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for i in range(15):
                raw_backend.insert("t", [{"k": f"{name}-{i}", "n": i}])
                raw_backend.query(
                    f"SELECT count() AS c FROM {db}.t WHERE k LIKE %(p)s", {"p": f"{name}-%"}
                )
        except BaseException as e:  # collected and re-raised in the test thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"w{j}",)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert raw_backend.query(f"SELECT count() AS c FROM {db}.t") == [{"c": 60}]


def test_chdb_backends_share_the_process_session(chdb_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    with pytest.raises(WarehouseError, match="one data path per process"):
        connect(Settings(warehouse_url=f"chdb://{other}"))
    same = connect(Settings(warehouse_url=f"chdb://{chdb_path}?database=shared_check"))
    try:
        assert same.query("SELECT 1 AS x") == [{"x": 1}]
    finally:
        same.close()


WRITE_IN_CHILD = """
import sys
from datetime import UTC, datetime
from minqing.records import Accepted, Place, Report
from minqing.settings import Settings
from warehouse.backend import connect
from warehouse.migrations import migrate
from warehouse.writer import WarehouseWriter

backend = connect(Settings(warehouse_url="chdb://" + sys.argv[1]))
migrate(backend)
writer = WarehouseWriter(backend)
at = datetime(2024, 5, 1, tzinfo=UTC)
for _ in range(2):
    for i in range(200):
        report = Report(
            report_id=f"noloss-{i}", received_at=at, informant_id="i", title="t", content=""
        )
        writer.add_record(Accepted(report=report, place=Place(), receipt=f"R{i}"))
    writer.flush()
backend.close()
"""

READ_IN_CHILD = """
import sys
from chdb import session
sql = (
    "SELECT count(), uniqExact(report_id) FROM minqing.reports FINAL "
    "WHERE report_id LIKE 'noloss-%'"
)
print(session.Session(sys.argv[1]).query(sql, "CSV").data().strip())
"""


def test_chdb_data_is_readable_by_another_process(tmp_path: Path) -> None:
    # The acceptance check reads the embedded warehouse from its own chdb process.
    path = str(tmp_path / "wh")
    for script in (WRITE_IN_CHILD, READ_IN_CHILD):
        done = subprocess.run(
            [sys.executable, "-c", script, path], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "200,200"


@pytest.mark.clickhouse
def test_app_user_with_password_and_one_database(
    warehouse_backend: Callable[..., Backend], clickhouse_server: ClickHouseServer
) -> None:
    migrate(warehouse_backend("clickhouse", database=APP_DATABASE))
    settings = Settings(
        warehouse_url=clickhouse_server.url(APP_DATABASE),
        warehouse_user=APP_USER,
        warehouse_password=SecretStr(APP_PASSWORD),
    )
    app = connect(settings)  # the database exists: no CREATE DATABASE is attempted
    try:
        assert migrate(app) == []
        assert Queries(app).counts()["reports"] == 0
        with pytest.raises(WarehouseError):
            app.query("SELECT count() AS n FROM default.nothing_here")
    finally:
        app.close()
    wrong = settings.model_copy(update={"warehouse_password": SecretStr("wrong")})
    with pytest.raises(WarehouseError, match=r"(?i)password"):
        connect(wrong)
