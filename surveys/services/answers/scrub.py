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
a deleted row that a transaction begun before the deletion, in any database of the server,
may still see (a "recently dead" row), so each rewrite first waits for such transactions.
"""

from __future__ import annotations

import re
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
            # Every transaction id assigned from here on is newer than the deletions.
            next_id = connection.execute(
                text("SELECT CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text)")
            ).scalar_one()
        boundary = str(int(next_id) % 2**32)  # the 32-bit id that sessions show
        done += [_rewrite(engine, name, boundary) for name in sorted(names)]
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


def _rewrite(engine: Engine, table: str, boundary: str) -> str:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _wait_for_older_transactions(connection, boundary, table)
        connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        details: list[str] = []

        def heard(notice: object) -> None:
            details.append(getattr(notice, "message_detail", None) or "")

        driver = connection.connection.driver_connection
        driver.add_notice_handler(heard)
        try:
            return _vacuum_full(connection, table, details)
        finally:
            driver.remove_notice_handler(heard)


def _vacuum_full(connection: Connection, table: str, details: list[str]) -> str:
    for attempt in range(ATTEMPTS):
        try:
            # The name is one of the models' own table names, never input.
            connection.exec_driver_sql(f'VACUUM (FULL, VERBOSE) "{table}"')
        except OperationalError as error:
            if "lock timeout" not in str(error.orig) or attempt == ATTEMPTS - 1:
                raise ScrubError(
                    f"{table}: could not be rewritten ({type(error.orig).__name__}); "
                    "its files may still hold deleted rows. Run `flask answers settle` "
                    "again."
                ) from None
            time.sleep(1 + attempt)
        else:
            _check_nothing_kept(table, details)
            return f"{table}: rewritten (VACUUM FULL)"
    raise AssertionError("unreachable")  # pragma: no cover


#: What VACUUM (FULL, VERBOSE) says of the deleted rows it had to copy.
_KEPT = re.compile(r"(\d+) dead row versions cannot be removed yet")


def _check_nothing_kept(table: str, details: list[str]) -> None:
    """The rewrite's own account: a deleted row that something still held back (a session
    the wait could not see, such as a standby's feedback, a replication slot or a prepared
    transaction) was copied into the new file, so the table stays listed for the next run."""
    kept = sum(int(found) for detail in details for found in _KEPT.findall(detail))
    if kept:
        raise ScrubError(
            f"{table}: rewritten, but {kept} deleted row versions could not be removed yet "
            "(something on the server still holds them back: an old transaction, a "
            "replication slot, a standby's feedback or a prepared transaction). Run `flask "
            "answers settle` again once it has gone; the table stays listed until then."
        )


def _wait_for_older_transactions(connection: Connection, boundary: str, table: str) -> None:
    """Wait until no transaction older than ``boundary`` (the first transaction id after the
    deletions committed) could still see the deleted rows: VACUUM FULL copies every deleted
    row that the oldest snapshot of this database, or the oldest transaction still running
    anywhere on the server (its own snapshot starts there), might see. So: no other session
    of this database with an older snapshot or transaction id, and none of another database
    with an older transaction id (measured: a write left open in the identity store's
    database kept deleted answers in the rewritten file). The settle's role must see other
    roles' sessions: ``deploy/postgres/roles.sql`` grants it ``pg_read_all_stats``."""
    deadline = time.monotonic() + OLDER_TRANSACTIONS_WAIT
    older = text(
        "SELECT pid, xact_start, datname FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND ("
        " age(backend_xid) > age(CAST(:boundary AS xid))"
        " OR (datname = current_database()"
        "     AND age(backend_xmin) > age(CAST(:boundary AS xid)))"
        ") ORDER BY xact_start LIMIT 1"
    )
    pause = 0.05
    while (found := connection.execute(older, {"boundary": boundary}).first()) is not None:
        if time.monotonic() >= deadline:
            pid, started, database = found
            raise ScrubError(
                f"{table}: a transaction older than the settle's deletions (server process "
                f"{pid}, database {database}, since {started or '?'}) can still see the "
                "deleted rows, so rewriting the table now would keep them: it was left as it "
                "is. End that transaction and run `flask answers settle` again."
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
