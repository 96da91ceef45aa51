"""The API's hot path reads on plain autocommit connections: one per store, per request.

A profile read is a handful of single statements (the caller's token, the consents, the
answers, the access-log row). Run each as its own transaction and a read costs just those
statements' round trips: no BEGIN, no COMMIT, no ORM unit of work. The access-log insert is
still committed, durably, before the response leaves. Everything else in the API (the change
feed) uses the ORM session as the rest of the app does.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import Connection

from surveys.api import bp
from surveys.extensions import db


def identity() -> Connection:
    """The identity store: clients, consents and the access log."""
    return _connection("identity")


def answers() -> Connection:
    """The answers store, read only here."""
    return _connection("answers")


def _connection(bind: str) -> Connection:
    opened: dict[str, Connection] = g.setdefault("api_connections", {})
    if bind not in opened:
        opened[bind] = db.engines[bind].connect().execution_options(isolation_level="AUTOCOMMIT")
    return opened[bind]


@bp.teardown_request
def close_connections(error: BaseException | None) -> None:
    """Back to the pool, whatever happened (there is never a transaction left open)."""
    for connection in g.pop("api_connections", {}).values():
        connection.close()
