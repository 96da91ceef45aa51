"""The API's hot path reads on plain autocommit connections: one per store, per request.

A profile read is a handful of single statements (the caller's token, the consents, the
answers, the access-log row). Run each as its own transaction and a read costs just those
statements' round trips: no BEGIN, no COMMIT, no ORM unit of work. The access-log insert is
still committed, durably, before the response leaves. Everything else in the API (the change
feed) uses the ORM session as the rest of the app does.

The connections come from engines of their own, made in autocommit once: switching a pooled
connection to autocommit and back on every request costs more than the statements (on SQLite
the switch back is a PRAGMA). A sync worker keeps one such connection per store, beside the
one per store of the ORM session: count four per worker when sizing max_connections.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine.base import OptionEngine

from surveys.api import bp
from surveys.extensions import db

_ENGINES = "surveys.api_engines"


def identity() -> Connection:
    """The identity store: clients, consents and the access log."""
    return _connection("identity")


def answers() -> Connection:
    """The answers store, read only here."""
    return _connection("answers")


def _connection(bind: str) -> Connection:
    opened: dict[str, Connection] = g.setdefault("api_connections", {})
    if bind not in opened:
        opened[bind] = _engine(current_app, bind).connect()
    return opened[bind]


_making_engines = threading.Lock()


def _engine(app: Flask, bind: str) -> Engine:
    engines: dict[str, Engine] = app.extensions.setdefault(_ENGINES, {})
    if bind not in engines:
        with _making_engines:  # gthread workers: make each engine once
            if bind not in engines:
                engines[bind] = _autocommit_engine(app, db.engines[bind])
    return engines[bind]


def _autocommit_engine(app: Flask, app_engine: Engine) -> Engine:
    if app_engine.url.get_backend_name() == "sqlite" and app_engine.url.database in (
        None,
        "",
        ":memory:",
    ):
        # A database in memory exists once per engine: share the app's, switching per use.
        return app_engine.execution_options(isolation_level="AUTOCOMMIT")
    # The app's engine already has the resolved URL; its options apply here too.
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "isolation_level": "AUTOCOMMIT"}
    return create_engine(app_engine.url, **options)


def dispose_engines(app: Flask) -> None:
    """Close the API's pooled connections (for tests and tools that drop the stores)."""
    for engine in app.extensions.pop(_ENGINES, {}).values():
        if not isinstance(engine, OptionEngine):  # a view of the app's engine: not ours
            engine.dispose()


@bp.teardown_request
def close_connections(error: BaseException | None) -> None:
    """Back to the pool, whatever happened (there is never a transaction left open)."""
    for connection in g.pop("api_connections", {}).values():
        connection.close()
