"""Statements compiled once and run as the driver's SQL: the bulk sync's pages and the
single profile read.

SQLAlchemy turns each row of a result into a ``Row``, running every column's result
processor on every value. For a page of the bulk sync that is a good share of the page's
time, and most values repeat (a survey's id, a day, a list of attribute keys as JSON text on
SQLite). :func:`rows` compiles a statement once per dialect, runs it as the driver's SQL,
and converts each distinct value once per call with SQLAlchemy's own result processors, so
the values are the ones ``Connection.execute`` would give. :func:`execute` runs a statement
that returns no rows (the single read's log insert) the same way.

The bound values go through SQLAlchemy's own bind processors too (a UUID as hex on SQLite,
a list as JSON, a time as the store keeps it), so what is stored is what
``Connection.execute`` would store. A statement built per call would be compiled anew and
cached forever (the cache is by identity): build them once, at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    #: The parameters' order for a positional driver (SQLite), else None.
    names: tuple[str, ...] | None
    #: The statement's own literals (a subquery's LIMIT 1, a status).
    defaults: dict[str, Any]
    processors: tuple[Any, ...]
    #: Each bound name's bind processor, for the names whose type has one.
    binders: tuple[tuple[str, Any], ...]


_COMPILED: dict[tuple[int, str], _Compiled] = {}


def _compiled(connection: Connection, statement: Any) -> _Compiled:
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        selected = getattr(statement, "selected_columns", None) or ()
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        )
        binders = tuple(
            (name, process)
            for name, bound in compiled.binds.items()
            if (process := bound.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        names = tuple(compiled.positiontup) if compiled.positiontup else None
        _COMPILED[key] = _Compiled(str(compiled), names, dict(compiled.params), processors, binders)
    return _COMPILED[key]


def _parameters(compiled: _Compiled, values: dict[str, Any]) -> Any:
    bound = {**compiled.defaults, **values}
    for name, process in compiled.binders:
        if bound.get(name) is not None:
            bound[name] = process(bound[name])
    if compiled.names is not None:
        return tuple(bound[name] for name in compiled.names)
    return bound


def execute(connection: Connection, statement: Executable, values: dict[str, Any]) -> None:
    """Run ``statement`` (built once, at import), which returns no rows, with these ``values``:
    on an autocommit connection it is committed when this returns."""
    compiled = _compiled(connection, statement)
    connection.exec_driver_sql(compiled.sql, _parameters(compiled, values))


def rows(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple]:
    """The rows of ``statement`` (built once, at import: it is cached by identity) with
    these bound ``values``, as tuples of the values ``connection.execute`` would give."""
    compiled = _compiled(connection, statement)
    parameters = _parameters(compiled, values)
    seen: list[dict[Any, Any]] = [{} for _ in compiled.processors]
    converted = []
    for row in connection.exec_driver_sql(compiled.sql, parameters):
        out = []
        for value, process, known in zip(row, compiled.processors, seen, strict=True):
            if process is None or value is None or type(value) in _UNHASHABLE:
                out.append(value if process is None or value is None else process(value))
            elif value in known:
                out.append(known[value])
            else:
                out.append(known.setdefault(value, process(value)))
        converted.append(tuple(out))
    return converted


_UNHASHABLE = (list, dict, bytearray, memoryview)
