"""What the storage engines themselves keep: the facts the answers store's design rests on.

These run on scratch tables, not through the app. If an engine release ever changes one of
them, this fails first, and docs/privacy.md ("What the engines keep") needs a second look.

- SQLite keeps a rowid in insertion order, and even in a WITHOUT ROWID table a row's byte
  offset inside its page follows the order of insertion (new cells grow down the page).
- SQLite leaves a deleted row's bytes in the page unless ``secure_delete`` is on.
- PostgreSQL stamps every row version with ``xmin``, which orders writes and survives VACUUM
  FREEZE; an UPDATE writes a new version at a new place.
- PostgreSQL's plain VACUUM frees dead rows without wiping them: deleted values stay in the
  table and index files; VACUUM FULL writes new files without them.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from tests.conftest import TEST_DATABASE_PREFIX, TEST_DATABASE_URL
from tests.privacy import rawfiles


def _sqlite(path: Path, secure_delete: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    connection.execute("CREATE TABLE t (id TEXT PRIMARY KEY, who TEXT, answer TEXT) WITHOUT ROWID")
    return connection


def test_sqlite_cell_offsets_follow_insertion_order_even_without_rowid(tmp_path):
    connection = _sqlite(tmp_path / "a.db", secure_delete=True)
    for n in range(30):  # one page's worth, random keys
        connection.execute("INSERT INTO t VALUES (?, ?, ?)", (uuid.uuid4().hex, f"who{n:03d}", "x"))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cells = rawfiles.sqlite_table(tmp_path / "a.db", "t")
    by_offset = [cell.values[1] for cell in sorted(cells, key=lambda c: -c.offset)]
    assert by_offset == [f"who{n:03d}" for n in range(30)]
    by_key = [cell.values[1] for cell in cells]
    assert by_key != by_offset  # the key order itself is random


@pytest.mark.parametrize("secure_delete", [False, True])
def test_sqlite_keeps_a_deleted_row_in_the_file_unless_secure_delete_is_on(tmp_path, secure_delete):
    path = tmp_path / "b.db"
    connection = _sqlite(path, secure_delete)
    for n in range(30):
        connection.execute("INSERT INTO t VALUES (?, ?, ?)", (uuid.uuid4().hex, f"who{n:03d}", "x"))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("DELETE FROM t WHERE who = 'who010'")
    # Before the next checkpoint the old page is still in the main file, whatever the
    # setting: the new one is only in the log.
    assert b"who010" in path.read_bytes()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (b"who010" in rawfiles.sqlite_file_bytes(path)) is (not secure_delete)


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[Engine]:
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL only: set TEST_DATABASE_URL to run")
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"{TEST_DATABASE_PREFIX}_engine_facts"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(url.set(database=name), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def scratch_postgres(postgres_database: Engine) -> Engine:
    """A table of 50 rows, each written by a transaction of its own, as visits would."""
    with postgres_database.connect() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS t")
        connection.exec_driver_sql("CREATE TABLE t (id UUID PRIMARY KEY, who TEXT, answer TEXT)")
        for n in range(50):
            connection.execute(
                text("INSERT INTO t VALUES (:id, :who, :answer)"),
                {"id": uuid.uuid4(), "who": f"who{n:03d}", "answer": f"old{n:03d}"},
            )
    return postgres_database


def test_postgres_xmin_orders_writes_and_survives_freeze(scratch_postgres):
    with scratch_postgres.connect() as connection:
        connection.exec_driver_sql("VACUUM FREEZE t")
        rows = connection.execute(text("SELECT xmin::text::bigint, who FROM t")).all()
    assert [who for _, who in sorted(rows)] == [f"who{n:03d}" for n in range(50)]


def test_postgres_puts_an_updated_row_at_a_new_place(scratch_postgres):
    with scratch_postgres.connect() as connection:
        before = connection.execute(text("SELECT ctid::text FROM t WHERE who='who010'")).scalar()
        connection.exec_driver_sql("UPDATE t SET answer = 'new' WHERE who = 'who010'")
        after = connection.execute(text("SELECT ctid::text FROM t WHERE who='who010'")).scalar()
        last = connection.execute(text("SELECT max(ctid)::text FROM t")).scalar()
    assert before != after == last  # after every other row: the newest write


def test_postgres_vacuum_leaves_deleted_values_in_the_files_and_vacuum_full_does_not(
    scratch_postgres,
):
    with scratch_postgres.connect() as connection:
        ids = dict(connection.execute(text("SELECT who, id FROM t")).all())
        # The newest rows sit lowest in the page: compaction moves nothing over them.
        connection.exec_driver_sql("DELETE FROM t WHERE who IN ('who049', 'who048')")
        connection.exec_driver_sql("VACUUM t")
    files = rawfiles.relation_files(scratch_postgres, ["t"])
    assert b"old049" in files["t"]
    assert ids["who049"].bytes in files["t_pkey"]
    with scratch_postgres.connect() as connection:
        connection.exec_driver_sql("VACUUM FULL t")
    files = rawfiles.relation_files(scratch_postgres, ["t"])
    assert b"old049" not in files["t"] and ids["who049"].bytes not in files["t_pkey"]
