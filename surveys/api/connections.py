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

Each worker thread holds on to its two connections from one request to the next instead of
checking them out of the pool and back in every time (that round through the pool was ~7 %
of a read, docs/benchmarks.md). Holding one changes nothing the pool guaranteed: with no
transaction ever open there is no state to carry over; one that a store cut (SQLAlchemy marks
it invalidated) is dropped at the end of the request, and one left idle for longer than
``PING_AFTER_IDLE_SECONDS`` is pinged before use, as the pool would have (and replaced if the
store dropped it meanwhile).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine.base import OptionEngine
from sqlalchemy.exc import DBAPIError

from surveys import extensions
from surveys.api import bp
from surveys.extensions import db

_ENGINES = "surveys.api_engines"
#: Each thread's connections between requests: {bind: (connection, when last used)}.
_HELD = "surveys.api_held_connections"
_making_engines = threading.Lock()


def identity() -> Connection:
    """The identity store: clients, consents and the access log."""
    return _connection("identity")


def answers() -> Connection:
    """The answers store, read only here."""
    return _connection("answers")


def _connection(bind: str) -> Connection:
    opened: dict[str, Connection] = g.setdefault("api_connections", {})
    if bind not in opened:
        opened[bind] = _held_or_new(current_app, bind)
    return opened[bind]


class _HeldConnections:
    """Each thread's connections between its requests, all of them reachable from here.

    Not a bare ``threading.local``: a thread that ends (the development server and tests make
    one per request) would leave its connections to the garbage collector, unclosed. Here a
    new thread first closes those of threads that have ended, and ``close_all`` reaches every
    thread's (for tests and tools that drop the stores)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, tuple[weakref.ref[threading.Thread], dict[str, Any]]] = {}

    def mine(self) -> dict[str, tuple[Connection, float]]:
        thread = threading.current_thread()
        entry = self._by_thread.get(thread.ident or 0)
        if entry is not None and entry[0]() is thread:
            return entry[1]
        with self._lock:
            self._close([key for key, (ref, _) in self._by_thread.items() if not _alive(ref())])
            held: dict[str, Any] = {}
            self._by_thread[thread.ident or 0] = (weakref.ref(thread), held)
            return held

    def close_all(self) -> None:
        with self._lock:
            self._close(list(self._by_thread))

    def _close(self, keys: list[int]) -> None:
        for key in keys:
            _, held = self._by_thread.pop(key)
            for connection, _ in held.values():
                connection.close()


def _alive(thread: threading.Thread | None) -> bool:
    return thread is not None and thread.is_alive()


def _held(app: Flask) -> dict[str, tuple[Connection, float]]:
    registry = app.extensions.get(_HELD)
    if registry is None:
        with _making_engines:
            registry = app.extensions.setdefault(_HELD, _HeldConnections())
    return registry.mine()


def _held_or_new(app: Flask, bind: str) -> Connection:
    held = _held(app).pop(bind, None)
    if held is not None:
        connection, last_used = held
        if time.monotonic() - last_used < extensions.PING_AFTER_IDLE_SECONDS:
            return connection
        if _answers_a_ping(connection):
            return connection
        connection.close()  # cut while idle: a new one (the pool tests its idle ones too)
    return _engine(app, bind).connect()


def _answers_a_ping(connection: Connection) -> bool:
    try:
        connection.exec_driver_sql("SELECT 1").close()
    except DBAPIError:
        return False
    return not connection.invalidated


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
    registry = app.extensions.get(_HELD)
    if registry is not None:
        registry.close_all()
    for engine in app.extensions.pop(_ENGINES, {}).values():
        if not isinstance(engine, OptionEngine):  # a view of the app's engine: not ours
            engine.dispose()


@bp.teardown_request
def release_connections(error: BaseException | None) -> None:
    """Kept for this thread's next request, unless a store cut it (or an error escaped).

    A view of the app's own engine (SQLite in memory, in tests) goes back at once: its one
    connection is the ORM session's too, and must not stay in autocommit."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    held = _held(app)
    engines = app.extensions.get(_ENGINES, {})
    for bind, connection in g.pop("api_connections", {}).items():
        shared = isinstance(engines.get(bind), OptionEngine)
        if error is not None or shared or connection.invalidated:
            connection.close()
        else:
            held[bind] = (connection, time.monotonic())
