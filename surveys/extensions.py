"""Extensions, created once and attached to the app in :func:`surveys.create_app`."""

import sqlite3
import time
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

from surveys.security import SameOriginCSRFProtect

#: Constraint names that are the same on SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of both stores' models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = SameOriginCSRFProtect()
#: How long to wait on Redis before counting limits without it: it answers in well under a
#: millisecond, so a stall this long means it is down or stuck, and a shopper must not wait.
LIMITS_STORAGE_TIMEOUT_SECONDS = 0.5
#: The storage's connection options, for Flask-Limiter and the API's own counter alike.
LIMITS_STORAGE_OPTIONS = {
    "socket_connect_timeout": LIMITS_STORAGE_TIMEOUT_SECONDS,
    "socket_timeout": LIMITS_STORAGE_TIMEOUT_SECONDS,
}

# Limits are counted per client address in memory (or Redis) only; addresses are never logged.
# When Redis is unreachable each process counts on its own, in memory, and tries Redis again
# 1, 2, 4, ... 32 s later (see docs/deployment.md): shoppers and the recommender keep being
# served, with limits that are per process for as long as it lasts. logs.py reports the
# switch both ways, once each.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    in_memory_fallback_enabled=True,
    storage_options=dict(LIMITS_STORAGE_OPTIONS),
)


#: How long a SQLite write waits for another writer (below gunicorn's 30 s worker timeout).
SQLITE_BUSY_TIMEOUT_MS = 20000


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite in WAL mode: readers never wait for a writer, and a commit is one append to the
    log instead of a rewritten journal, so several gunicorn workers can share a file (the
    profile API writes its access log on every read). With ``synchronous=NORMAL`` a commit
    survives the app or gunicorn crashing; only a power cut or OS crash can lose the last
    few commits, never corrupt the file. Production on PostgreSQL keeps full durability.

    ``secure_delete=ON``: a deleted row's bytes (and a freed page) are overwritten with zeros
    instead of being left in the file until reused, so a copy of the file holds no deleted
    answer, link or session once the pages are checkpointed (the nightly settle does that).

    ``busy_timeout``: SQLite has one writer at a time, and the nightly settle holds the write
    lock for its whole batch (seconds on a large store, see docs/benchmarks.md); a visit's
    write waits that long rather than failing after the driver's default five seconds."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


#: A pooled connection left unused for longer than this is tested before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


@event.listens_for(Pool, "checkin")
def _note_when_idle(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle_for_long(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    """Test a pooled connection before use, but only when it has sat idle for a while.

    A connection that ran a statement a moment ago is almost surely alive, and pinging it
    would cost the API a round trip per store per request. One left idle may have been cut
    by a database restart or an idle timeout in the meantime: that one is pinged, and if it
    is dead the pool throws away every connection as old as it and checks out a new one, so
    a quiet service recovers by itself. (A restart under load fails the few statements in
    flight either way: those get a 503 with Retry-After, and the pool is renewed then.)
    """
    idle_since = connection_record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()  # end the transaction the ping may have opened
    except Exception as error:  # any failure: this connection cannot be trusted
        raise InvalidatePoolError() from error


# Staff sign-in. No "session protection": it stores a hash of the client's address and
# browser in the cookie, and cookies carry only a random token here (the token is rotated at
# every sign-in instead).
login = LoginManager()
login.session_protection = None
