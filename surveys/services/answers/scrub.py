"""Leaving no readable remnant of deleted or replaced rows in a store's files.

SQLite: every connection runs with ``secure_delete=ON`` (see :mod:`surveys.extensions`), so a
deleted row's bytes are overwritten with zeros in the page that held it; but the page as it
was before stays in the main file until a checkpoint copies the new page over it, and the
write-ahead log keeps every page written since the last checkpoint. After the settle,
``wal_checkpoint(TRUNCATE)`` copies everything into the main file and empties the log.

PostgreSQL: a DELETE or UPDATE leaves the old row version (a dead tuple) in the table and
its index entries in place; plain VACUUM makes the space reusable but does not wipe it (see
docs/privacy.md for the experiment), so deleted values stay in the files until overwritten
by chance. ``VACUUM FULL`` writes the table and its indexes into new files and unlinks the
old ones: afterwards the relation files hold only live rows. It needs the table's owner
(the role that ran the migrations) and holds an exclusive lock while it runs. It also copies
a deleted row that some transaction begun before the deletion could still see (a "recently
dead" row), so each rewrite first waits for every such transaction in that database to end.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from surveys.models.answers import FilesToClear

#: How long VACUUM FULL waits for the lock before trying again, and how often it tries: a
#: VACUUM queued behind a long read would block every other read of the table meanwhile.
LOCK_TIMEOUT = "5s"
ATTEMPTS = 5
#: How long a rewrite waits for transactions begun before it (which may still see the
#: deleted rows) to end, before giving up and leaving the table for the next run.
OLDER_TRANSACTIONS_WAIT = 60.0


class ScrubError(RuntimeError):
    """The store's files could not be cleared; the message says why and what to do."""


def check_can_rewrite(engine: Engine, tables: Iterable[str]) -> None:
    """On PostgreSQL, VACUUM FULL by anyone but a table's owner only prints a warning and
    does nothing, which would leave remnants silently: refuse before changing anything."""
    if engine.dialect.name != "postgresql":
        return
    names = list(tables)
    with engine.connect() as connection:
        not_owned = (
            connection.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relname = ANY(:names) "
                    "AND relkind = 'r' AND NOT pg_has_role(relowner, 'USAGE') ORDER BY relname"
                ),
                {"names": names},
            )
            .scalars()
            .all()
        )
    if not_owned:
        raise ScrubError(
            f"{engine.url.database}: this role ({engine.url.username or 'the current user'}) "
            f"does not own {', '.join(not_owned)}, so it cannot rewrite them (VACUUM FULL). Run "
            "`flask answers settle` as the role that ran the migrations."
        )


def scrub(engine: Engine, tables: Iterable[str], *, recorded: bool = False) -> list[str]:
    """Clear remnants of deleted rows from ``tables``' files; returns what was done.

    ``recorded``: the tables to clear are also those listed in ``files_to_clear`` (the
    answers store's), and each is taken off that list once it has been rewritten.
    """
    names = set(tables)
    if recorded:
        with engine.connect() as connection:
            names |= set(connection.execute(select(FilesToClear.relation)).scalars())
    done = []
    if engine.dialect.name == "sqlite":
        done.append(_checkpoint(engine))
    elif engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            since = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
        done += [_rewrite(engine, name, since) for name in sorted(names)]
    if recorded and names:
        with engine.begin() as connection:
            listed = FilesToClear.__table__
            connection.execute(delete(listed).where(listed.c.relation.in_(sorted(names))))
    return done


def _checkpoint(engine: Engine) -> str:
    for attempt in range(ATTEMPTS * 10):
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return f"{engine.url.database}: write-ahead log checkpointed and truncated"
        time.sleep(0.05 * (attempt + 1))
    raise ScrubError(
        f"{engine.url.database}: readers kept the write-ahead log busy; it still holds pages "
        "written since the last checkpoint. Run `flask answers settle` again."
    )


def _rewrite(engine: Engine, table: str, since: object) -> str:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _wait_for_transactions_begun_before(connection, since, table)
        connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        for attempt in range(ATTEMPTS):
            try:
                # The name is one of the models' own table names, never input.
                connection.exec_driver_sql(f'VACUUM FULL "{table}"')
            except OperationalError as error:
                if "lock timeout" not in str(error.orig) or attempt == ATTEMPTS - 1:
                    raise ScrubError(
                        f"{table}: could not be rewritten ({type(error.orig).__name__}); "
                        "its files may still hold deleted rows. Run `flask answers settle` "
                        "again."
                    ) from None
                time.sleep(1 + attempt)
            else:
                return f"{table}: rewritten (VACUUM FULL)"
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_for_transactions_begun_before(connection: Connection, since: object, table: str) -> None:
    """Wait until no other transaction in this database that began before ``since`` (when
    the deletions had committed) holds a snapshot or a transaction id: VACUUM FULL keeps
    every deleted row such a transaction could still see. Later transactions see the
    deletions, so they cannot hold the rows back. (The settle's role must be able to see
    other roles' sessions: ``deploy/postgres/roles.sql`` grants it ``pg_read_all_stats``.)"""
    deadline = time.monotonic() + OLDER_TRANSACTIONS_WAIT
    older = text(
        "SELECT pid, xact_start FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL) "
        "AND xact_start < :since ORDER BY xact_start LIMIT 1"
    )
    pause = 0.05
    while (found := connection.execute(older, {"since": since}).first()) is not None:
        if time.monotonic() >= deadline:
            pid, started = found
            raise ScrubError(
                f"{table}: a transaction begun before the settle (server process {pid}, "
                f"since {started:%H:%M:%S}) can still see the deleted rows, so rewriting the "
                "table now would keep them, so it was left as it is. End that transaction and "
                "run `flask answers settle` again."
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
