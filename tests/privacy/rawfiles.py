"""What an insider reads in a store's files: SQLite pages and write-ahead log, PostgreSQL
relation files, ``xmin``/``ctid`` and ``pg_dump``. Used by the attack and remnant tests and by
``bench/store_copy.py``; nothing here goes through the app."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

# --- SQLite -----------------------------------------------------------------------------


def copy_sqlite(database: Path, to: Path) -> Path:
    """Copy a live SQLite store as an insider would: the file and its -wal, as they are."""
    to.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            shutil.copyfile(source, to / f"{database.name}{suffix}")
    return to / database.name


def sqlite_pages(path: Path) -> dict[int, bytes]:
    """Every page of the database as a reader would see it: the main file with the
    committed frames of the write-ahead log laid over it."""
    data = path.read_bytes()
    size = struct.unpack(">H", data[16:18])[0]
    size = 65536 if size == 1 else size
    pages = {n + 1: data[n * size : (n + 1) * size] for n in range(len(data) // size)}
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 32:
        log = wal.read_bytes()
        salts = log[16:24]
        committed: dict[int, bytes] = {}
        pending: dict[int, bytes] = {}
        offset = 32
        while offset + 24 + size <= len(log):
            number, after = struct.unpack(">II", log[offset : offset + 8])
            if log[offset + 8 : offset + 16] != salts:
                break
            pending[number] = log[offset + 24 : offset + 24 + size]
            if after:  # a commit frame: everything since the last one counts
                committed.update(pending)
                pending = {}
            offset += 24 + size
        pages.update(committed)
    return pages


def sqlite_file_bytes(path: Path) -> bytes:
    """The raw bytes of a store: main file and write-ahead log, stale frames included."""
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for index in range(9):
        byte = data[at + index]
        if index == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + index + 1
    raise AssertionError("unreachable")


_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _record(page: bytes, at: int) -> list[Any]:
    """Decode the SQLite record that starts at ``at`` (no overflow: our rows are small)."""
    header_size, cursor = _varint(page, at)
    types = []
    while cursor < at + header_size:
        kind, cursor = _varint(page, cursor)
        types.append(kind)
    body = at + header_size
    values: list[Any] = []
    for kind in types:
        if kind in _INT_SIZES:
            size = _INT_SIZES[kind]
            values.append(int.from_bytes(page[body : body + size], "big", signed=True))
        elif kind == 7:
            size = 8
            values.append(struct.unpack(">d", page[body : body + 8])[0])
        elif kind in (0, 8, 9):
            size = 0
            values.append(None if kind == 0 else kind - 8)
        else:
            size = (kind - 12 - (kind % 2)) // 2
            raw = page[body : body + size]
            values.append(raw.decode() if kind % 2 else raw)
        body += size
    return values


@dataclass(frozen=True, slots=True)
class Cell:
    """One row as it sits in the file: its values (in the order the record stores them), its
    page, its byte offset in the page, and its place when the B-tree is read in order (rowid
    order for a rowid table, key order for a WITHOUT ROWID one)."""

    values: list[Any]
    page: int
    offset: int
    order: int


def _cells(pages: dict[int, bytes], root: int) -> list[Cell]:
    found: list[Cell] = []

    def walk(number: int) -> None:
        page = pages[number]
        start = 100 if number == 1 else 0
        kind = page[start]
        count = struct.unpack(">H", page[start + 3 : start + 5])[0]
        interior = kind in (2, 5)
        pointers = start + (12 if interior else 8)
        for i in range(count):
            offset = struct.unpack(">H", page[pointers + 2 * i : pointers + 2 * i + 2])[0]
            if interior:
                walk(struct.unpack(">I", page[offset : offset + 4])[0])
            if kind == 5:
                continue  # a rowid table's interior cells hold only rowids
            # An interior index cell (a WITHOUT ROWID table's) starts with its child, and
            # holds a row too.
            at = offset + (4 if kind == 2 else 0)
            _, at = _varint(page, at)  # payload size
            if kind == 13:
                _, at = _varint(page, at)  # rowid
            found.append(Cell(_record(page, at), number, offset, len(found)))
        if interior:
            walk(struct.unpack(">I", page[start + 8 : start + 12])[0])

    walk(root)
    return found


def sqlite_table(path: Path, table: str) -> list[Cell]:
    """Every row of ``table`` read straight from the file (and its log), with where it sits."""
    pages = sqlite_pages(path)
    for cell in _cells(pages, 1):  # sqlite_master: type, name, tbl_name, rootpage, sql
        if cell.values[0] == "table" and cell.values[1] == table:
            return _cells(pages, cell.values[3])
    raise LookupError(table)


# --- PostgreSQL -------------------------------------------------------------------------


def relation_files(engine: Engine, tables: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each table's and each of its indexes' files, read by the server
    (``pg_read_binary_file``) after a CHECKPOINT has written every change out."""
    found: dict[str, bytes] = {}
    with engine.connect() as connection:
        connection.exec_driver_sql("CHECKPOINT")
        for table in tables:
            relations = connection.execute(
                text(
                    "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c "
                    "WHERE c.oid = CAST(:t AS regclass) OR c.oid IN "
                    "(SELECT indexrelid FROM pg_index WHERE indrelid = CAST(:t AS regclass))"
                ),
                {"t": table},
            ).all()
            for name, path in relations:
                found[name] = bytes(
                    connection.execute(
                        text("SELECT pg_read_binary_file(:path)"), {"path": path}
                    ).scalar_one()
                )
    return found


def pg_dump(engine: Engine, tables: Iterable[str]) -> str:
    """``pg_dump --data-only`` of some tables, as text."""
    url = engine.url
    libpq = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
    arguments = ["pg_dump", "--data-only", "--no-owner"]
    for table in tables:
        arguments += ["--table", table]
    arguments.append(libpq.render_as_string(hide_password=False))
    return subprocess.run(arguments, check=True, capture_output=True, text=True).stdout


def dump_rows(dump: str, table: str) -> Iterator[dict[str, str]]:
    """The rows of one table's COPY block, in the order the dump holds them."""
    columns: list[str] | None = None
    for line in dump.splitlines():
        if line.startswith((f"COPY public.{table} (", f"COPY {table} (")):
            listed = line[line.index("(") + 1 : line.index(")")]
            columns = [name.strip().strip('"') for name in listed.split(",")]
            continue
        if columns is not None:
            if line == "\\.":
                return
            yield dict(zip(columns, line.split("\t"), strict=True))


def xmin_ctid(engine: Engine, table: str, columns: str) -> list[Any]:
    """Each row's ``xmin`` (the id of the transaction that wrote it) and ``ctid`` (its page
    and slot), with some of its columns."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                f"SELECT {columns}, xmin::text::bigint AS xmin, "  # noqa: S608 - test's own names
                f"(ctid::text::point)[0]::int AS page, (ctid::text::point)[1]::int AS slot "
                f"FROM {table}"
            )
        ).all()
