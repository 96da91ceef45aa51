"""The nightly settle: the only writer of the answers store's clear tables.

Run shortly after 00:00 UTC (``flask answers settle``, a systemd timer in ``deploy/``), it
takes every journal entry made on earlier days and, in ONE transaction:

* applies them in the order they were made to the clear rows of the browsers they name;
* deletes the rows they replace or remove, and the rows retention no longer allows (answers
  unchanged for ``ANSWER_RETENTION_DAYS`` that no active consent links, "Not now" marks
  whose day has come);
* inserts the new rows, with fresh random ids, in a random order (``secrets.SystemRandom``),
  and the funnel counters they change, the same way;
* deletes the entries, calls the hooks in :data:`AFTER_SETTLE` (the dashboard's release of the
  weeks that have now ended and are wholly settled), and commits.

Then it clears the remnants of what it deleted from the files (:mod:`.scrub`).

Why this gives no order: every clear row a settle writes carries the same transaction id
(PostgreSQL's ``xmin``) and sits at a random place among that night's rows, so a copy of the
store says at most on which day a row was last written, which its ``updated_on`` says anyway.
Entries of the current day are never settled (unless asked, for maintenance), so a day's
rows are never split between two settles by time of day.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from surveys.extensions import SQLITE_BUSY_TIMEOUT_MS
from surveys.models import ANSWER_COLUMNS, Dismissal, FunnelCount, Response, Survey
from surveys.models.answers import FilesToClear, JournalEntry
from surveys.models.identity import ConsentLink
from surveys.services.answers import journal, scrub
from surveys.services.answers.journal import BrowserState, Entry, Held
from surveys.services.answers.sealing import Sealer

#: PostgreSQL advisory lock taken for the whole settle: any constant, the same for all runs.
SETTLE_LOCK = 0x5355525645595332  # "SURVEYS2"
#: Hooks run inside the settle's transaction once the batch is applied, with the session and
#: the settle's day. The app registers the dashboard's weekly release here (surveys/__init__.py):
#: a week is released only once every day of it is settled.
AFTER_SETTLE: list[Callable[[Session, date], None]] = []
#: Identity-store tables cleared of remnants at every settle too: a withdrawn consent's link
#: (the encrypted respondent key) must not outlive the withdrawal in the files. (Ended
#: sessions and spent token ids hold no answer and no finer time than the hour.)
IDENTITY_TABLES = (ConsentLink.__tablename__,)
_CHUNK = 500
#: SQLite: how long the settle waits for a visit's write to finish before giving up.
SQLITE_LOCK_WAIT_MS = 5000
_random = secrets.SystemRandom()


class SettleBusy(RuntimeError):
    """Another settle is running."""


@dataclass(slots=True)
class Settled:
    """What one settle did (counts only: nothing here says whose or what)."""

    entries: int = 0
    #: Entries of today (or later) left for the next settle.
    pending: int = 0
    responses_written: int = 0
    responses_deleted: int = 0
    #: Of which deleted by retention (unchanged for too long, not linked by a consent).
    purged: int = 0
    dismissals_written: int = 0
    dismissals_deleted: int = 0
    funnel_rows: int = 0
    scrubbed: list[str] = field(default_factory=list)
    #: Seconds spent in each step (for the log and the benchmark).
    seconds: dict[str, float] = field(default_factory=dict)


def settle(
    session: Session,
    today: date,
    *,
    sealer: Sealer,
    retention_days: int,
    keep: Collection[str] = (),
    include_today: bool = False,
    clear_remnants: bool = True,
    run_hooks: bool = True,
) -> Settled:
    """Settle every entry made before ``today`` (and today's too with ``include_today``,
    for maintenance such as a downgrade). ``keep``: respondent hashes that an active consent
    links, whose answers retention must not delete. ``run_hooks=False`` skips
    :data:`AFTER_SETTLE` (tests that release weeks themselves). Commits: this is a job, not a
    step of a request. Raises :class:`SettleBusy` if another settle holds the lock."""
    session.commit()
    answers_engine = session.get_bind(mapper=Response)
    identity_engine = session.get_bind(mapper=ConsentLink)
    answer_tables = [m.__tablename__ for m in (Response, Dismissal, FunnelCount, JournalEntry)]
    if clear_remnants:
        scrub.check_can_rewrite(answers_engine, answer_tables)
        scrub.check_can_rewrite(identity_engine, IDENTITY_TABLES)
    with _SettleLock(answers_engine):
        try:
            result, rewritten = _apply(
                session, today, sealer, retention_days, set(keep), include_today, run_hooks
            )
        except BaseException:
            session.rollback()
            raise
        if clear_remnants:
            started = time.perf_counter()
            result.scrubbed += scrub.scrub(answers_engine, rewritten, recorded=True)
            result.scrubbed += scrub.scrub(identity_engine, IDENTITY_TABLES)
            result.seconds["remnants"] = time.perf_counter() - started
    return result


class _SettleLock:
    """PostgreSQL: a session-level advisory lock on a connection of its own, held through
    the rewrite too. SQLite needs none here: the batch runs under BEGIN IMMEDIATE."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.connection: Connection | None = None

    def __enter__(self) -> Connection | None:
        if self.engine.dialect.name != "postgresql":
            return None
        self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if not self.connection.scalar(select(func.pg_try_advisory_lock(SETTLE_LOCK))):
            self.connection.close()
            raise SettleBusy("another settle is running")
        return self.connection

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETTLE_LOCK})
            self.connection.close()


def _begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(SQLITE_LOCK_WAIT_MS)}")
        try:
            # Take the write lock now: no visit's entry can commit halfway through the batch.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as error:
            raise SettleBusy("the answers store is locked by another writer") from error
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def _apply(
    session: Session,
    today: date,
    sealer: Sealer,
    retention_days: int,
    keep: set[str],
    include_today: bool,
    run_hooks: bool,
) -> tuple[Settled, set[str]]:
    connection = session.connection(bind_arguments={"mapper": Response})
    watch = _Stopwatch()
    _begin(connection)
    result = Settled()
    result.seconds = watch.laps
    last_day = today if include_today else today - timedelta(days=1)
    rows = connection.execute(select(JournalEntry.id, JournalEntry.tag, JournalEntry.sealed)).all()
    entries = [Entry.from_payload(_uuid(r.id), sealer.open(r.sealed, r.tag)) for r in rows]
    due = sorted((e for e in entries if e.day <= last_day), key=Entry.sort_key)
    result.entries, result.pending = len(due), len(entries) - len(due)
    surveys = set(connection.execute(select(Survey.id)).scalars())

    by_browser: dict[str, list[Entry]] = {}
    funnel: Counter[tuple[uuid.UUID, date, str]] = Counter()
    for entry in due:
        for survey_id, event, count in entry.funnel():
            if survey_id in surveys:
                funnel[(survey_id, entry.day, event)] += count
        if entry.respondent_hash is not None:
            by_browser.setdefault(entry.respondent_hash, []).append(entry)

    batch = _Batch()
    before = _clear_state(connection, list(by_browser))
    for hashed, browser_entries in by_browser.items():
        old = before.get(hashed, BrowserState())
        new = old.copy()
        for entry in browser_entries:
            journal.apply(new, entry)
        for survey_id in [s for s in new.responses if s not in surveys]:
            del new.responses[survey_id]  # a survey deleted since: its answers go with it
        batch.compare(hashed, old, new)

    cutoff = today - timedelta(days=retention_days)
    result.purged = batch.purge(connection, cutoff, keep, today)
    watch.lap("read and apply")

    # Tables this settle deletes rows from: their files are rewritten afterwards.
    deleted_from: set[str] = set()
    result.responses_deleted = _delete(connection, Response, batch.responses_out)
    result.responses_written = _insert(connection, Response, batch.responses_in)
    result.dismissals_deleted = _delete(connection, Dismissal, batch.dismissals_out)
    result.dismissals_written = _insert(connection, Dismissal, batch.dismissals_in)
    result.funnel_rows, funnel_deleted = _rewrite_funnel(connection, funnel)
    entries_deleted = _delete(connection, JournalEntry, [{"id": e.id} for e in due])
    watch.lap("write rows")
    for model, deleted in (
        (Response, result.responses_deleted),
        (Dismissal, result.dismissals_deleted),
        (FunnelCount, funnel_deleted),
        (JournalEntry, entries_deleted),
    ):
        if deleted:
            deleted_from.add(model.__tablename__)
    # Recorded in this transaction: if rewriting a table fails after the commit, the next
    # run still knows to rewrite it.
    listed = set(connection.execute(select(FilesToClear.relation)).scalars())
    for name in sorted(deleted_from - listed):
        connection.execute(insert(FilesToClear.__table__).values(id=uuid.uuid4(), relation=name))
    for hook in AFTER_SETTLE if run_hooks else ():
        hook(session, today)
    session.commit()
    watch.lap("hooks and commit")
    return result, deleted_from


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _clear_state(connection: Connection, hashes: list[str]) -> dict[str, BrowserState]:
    """The clear rows of these browsers, with the ids the settle needs."""
    states: dict[str, BrowserState] = {}
    r, d = Response.__table__, Dismissal.__table__
    for chunk in _chunks(hashes):
        for row in connection.execute(select(r).where(r.c.respondent_hash.in_(chunk))):
            answers = {key: getattr(row, column) for key, column in ANSWER_COLUMNS.items()}
            state = states.setdefault(row.respondent_hash, BrowserState())
            state.responses[_uuid(row.survey_id)] = Held(
                _uuid(row.survey_id), "", answers, row.submitted_on, row.updated_on,
                row_id=_uuid(row.id),
            )  # fmt: skip
        for row in connection.execute(select(d).where(d.c.respondent_hash.in_(chunk))):
            states.setdefault(row.respondent_hash, BrowserState()).dismissals[
                _uuid(row.survey_id)
            ] = row.until
    return states


def _row(hashed: str, held: Held, row_id: uuid.UUID) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": row_id,
        "survey_id": held.survey_id,
        "respondent_hash": hashed,
        "submitted_on": held.submitted_on,
        "updated_on": held.updated_on,
    }
    row.update({column: held.answers[key] for key, column in ANSWER_COLUMNS.items()})
    return row


class _Batch:
    """The rows one settle deletes and inserts."""

    def __init__(self) -> None:
        self.responses_out: list[dict[str, Any]] = []
        self.responses_in: list[dict[str, Any]] = []
        self.dismissals_out: list[dict[str, Any]] = []
        self.dismissals_in: list[dict[str, Any]] = []

    def compare(self, hashed: str, old: BrowserState, new: BrowserState) -> None:
        for survey_id in old.responses.keys() | new.responses.keys():
            before, after = old.responses.get(survey_id), new.responses.get(survey_id)
            if before is not None and after is not None and _same(before, after):
                continue
            if before is not None:
                self.responses_out.append(_row(hashed, before, before.row_id))  # type: ignore[arg-type]
            if after is not None:
                # A fresh id always, so an old copy's id leads nowhere.
                self.responses_in.append(_row(hashed, after, uuid.uuid4()))
        for survey_id in old.dismissals.keys() | new.dismissals.keys():
            before_until, after_until = old.dismissals.get(survey_id), new.dismissals.get(survey_id)
            if before_until == after_until:
                continue
            key = {"survey_id": survey_id, "respondent_hash": hashed}
            if before_until is not None:
                self.dismissals_out.append(key)
            if after_until is not None:
                self.dismissals_in.append({"id": uuid.uuid4(), **key, "until": after_until})

    def purge(self, connection: Connection, cutoff: date, keep: set[str], today: date) -> int:
        """Retention: answers unchanged since before ``cutoff`` that no consent links, and
        "Not now" marks whose day has come."""
        gone = {(row["survey_id"], row["respondent_hash"]) for row in self.responses_out}
        written = {(row["survey_id"], row["respondent_hash"]) for row in self.responses_in}
        purged = 0
        r = Response.__table__
        for row in connection.execute(select(r).where(r.c.updated_on < cutoff)).mappings():
            key = (_uuid(row["survey_id"]), row["respondent_hash"])
            if row["respondent_hash"] in keep or key in gone or key in written:
                continue
            self.responses_out.append({**row, "id": _uuid(row["id"]), "survey_id": key[0]})
            purged += 1
        d = Dismissal.__table__
        gone_marks = {(m["survey_id"], m["respondent_hash"]) for m in self.dismissals_out}
        for row in connection.execute(select(d).where(d.c.until <= today)):
            key = (_uuid(row.survey_id), row.respondent_hash)
            if key not in gone_marks:
                self.dismissals_out.append({"survey_id": key[0], "respondent_hash": key[1]})
        # A mark set and expired in the same batch is not written at all.
        self.dismissals_in = [m for m in self.dismissals_in if m["until"] > today]
        return purged


def _same(before: Held, after: Held) -> bool:
    return (before.answers, before.submitted_on, before.updated_on) == (
        after.answers,
        after.submitted_on,
        after.updated_on,
    )


def _delete(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> int:
    """Delete by id, or (for "Not now" marks) by survey and browser."""
    table = model.__table__
    deleted = 0
    if model is Dismissal:
        for chunk in _chunks(rows):
            for row in chunk:
                deleted += connection.execute(
                    delete(table).where(
                        table.c.survey_id == row["survey_id"],
                        table.c.respondent_hash == row["respondent_hash"],
                    )
                ).rowcount
        return deleted
    for chunk in _chunks([row["id"] for row in rows]):
        deleted += connection.execute(delete(table).where(table.c.id.in_(chunk))).rowcount
    return deleted


def _insert(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> int:
    """Insert in a random order: where a row lands says nothing about when it came."""
    rows = list(rows)
    _random.shuffle(rows)
    for chunk in _chunks(rows):
        connection.execute(insert(model.__table__), chunk)
    return len(rows)


def _rewrite_funnel(
    connection: Connection, counts: Counter[tuple[uuid.UUID, date, str]]
) -> tuple[int, int]:
    """Add the batch's counts to each day's counters, rewriting the days they touch.
    Returns (rows written, rows deleted)."""
    if not counts:
        return 0, 0
    table = FunnelCount.__table__
    days = sorted({(survey_id, day) for survey_id, day, _ in counts})
    totals: Counter[tuple[uuid.UUID, date, str]] = Counter(counts)
    deleted = 0
    for survey_id, day in days:
        where = (table.c.survey_id == survey_id) & (table.c.day == day)
        for row in connection.execute(select(table.c.event, table.c["count"]).where(where)):
            totals[(survey_id, day, row.event)] += row.count
        deleted += connection.execute(delete(table).where(where)).rowcount
    rows = [
        {"id": uuid.uuid4(), "survey_id": s, "day": d, "event": e, "count": n}
        for (s, d, e), n in totals.items()
    ]
    return _insert(connection, FunnelCount, rows), deleted


def pending_entries(connection: Connection) -> int:
    """How many entries wait for a settle."""
    return int(connection.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def earliest_pending_day(session: Session, sealer: Sealer) -> date | None:
    """The first day that still has entries waiting for a settle, or None.

    Days from this one on are not wholly in the clear tables yet: anything that counts the
    clear rows of a day (the dashboard's weekly release) must wait for the settle.
    """
    connection = session.connection(bind_arguments={"mapper": Response})
    rows = connection.execute(select(JournalEntry.id, JournalEntry.tag, JournalEntry.sealed))
    days = [Entry.from_payload(_uuid(r.id), sealer.open(r.sealed, r.tag)).day for r in rows]
    return min(days, default=None)
