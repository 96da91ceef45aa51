"""Many rows of one prepared statement, fast: the bulk sync reads a thousand at a time.

SQLAlchemy turns each row of a result into a ``Row``, running every column's result
processor on every value. For a page of the bulk sync that is a good share of the page's
time, and most values repeat (a survey's id, a day, a list of attribute keys as JSON text on
SQLite). :func:`rows` compiles a statement once per dialect, runs it as the driver's SQL,
and converts each distinct value once per call with SQLAlchemy's own result processors, so
the values are the ones ``Connection.execute`` would give.
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


_COMPILED: dict[tuple[int, str], _Compiled] = {}


def _compiled(connection: Connection, statement: Any) -> _Compiled:
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        names = tuple(compiled.positiontup) if compiled.positiontup else None
        _COMPILED[key] = _Compiled(str(compiled), names, dict(compiled.params), processors)
    return _COMPILED[key]


def rows(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple]:
    """The rows of ``statement`` (built once, at import: it is cached by identity) with
    these bound ``values``, as tuples of the values ``connection.execute`` would give."""
    compiled = _compiled(connection, statement)
    bound = {**compiled.defaults, **values}
    parameters: Any = bound
    if compiled.names is not None:
        parameters = tuple(bound[name] for name in compiled.names)
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
