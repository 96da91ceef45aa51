"""The change feed: which subjects' profiles changed, in order, for clients to keep up with.

An event says only *that* a profile changed (``updated``) or was withdrawn (``withdrawn``),
never what it holds: a client that cached a profile drops it, or reads it again.

Stable cursors: a reader pages by id (``after`` the last id it saw), so it must never see an
id before every smaller id is committed. On PostgreSQL, writers take a transaction-scoped
advisory lock before inserting, so ids are handed out and committed one writer at a time;
SQLite already allows only one writer at a time. Profile changes are rare (a consent, an
answer), so the lock costs nothing that matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from surveys.models import ApiClient, ProfileChange, WebhookDelivery
from surveys.models.api import CHANGE_TYPES, CHANGES_READ, UPDATED, WITHDRAWN

#: Any constant works: it only has to be the same for every writer of the feed.
FEED_LOCK = 0x5355525645595331  # "SURVEYS1"
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Change:
    cursor: int
    subject: str
    type: str
    at: datetime

    def as_json(self) -> dict[str, str | int]:
        return {
            "cursor": self.cursor,
            "subject": self.subject,
            "type": self.type,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Page:
    changes: list[Change]
    #: Pass this as ``after`` next time; the same cursor again when there was nothing new.
    next_cursor: int
    has_more: bool


def _take_feed_lock(session: Session) -> None:
    """Make this transaction the feed's only writer until it ends (PostgreSQL)."""
    if session.get_bind(mapper=ProfileChange).dialect.name == "postgresql":
        session.execute(
            select(func.pg_advisory_xact_lock(FEED_LOCK)), bind_arguments={"mapper": ProfileChange}
        )


def announce(session: Session, subject: str, shares: bool, now: datetime) -> Change | None:
    """Tell the feed what a client can now see of ``subject``: ``updated`` if they have a
    profile (``shares``), ``withdrawn`` if they had one by the feed's last word and have none
    now, else nothing. A consent with nothing to share must look exactly like no consent,
    and an event a client then follows to a 404 would tell them apart (found by review)."""
    if shares:
        return record(session, subject, UPDATED, now)
    _take_feed_lock(session)  # the last word cannot change under us
    last = session.scalar(
        select(ProfileChange.type)
        .where(ProfileChange.subject == subject)
        .order_by(ProfileChange.id.desc())
        .limit(1)
    )
    return record(session, subject, WITHDRAWN, now) if last == UPDATED else None


def record(session: Session, subject: str, change_type: str, now: datetime) -> Change:
    """Append an event to the feed and queue it for every client with a webhook.

    Call it last in a service, just before the request commits: the feed lock is held
    until then.
    """
    if change_type not in CHANGE_TYPES:
        raise ValueError(f"unknown change type {change_type!r}")
    _take_feed_lock(session)
    change = ProfileChange(subject=subject, type=change_type, at=now)
    session.add(change)
    session.flush()
    receivers = session.execute(
        select(ApiClient.id, ApiClient.scopes).where(
            ApiClient.webhook_url.is_not(None), ApiClient.revoked_at.is_(None)
        )
    ).all()
    for client_id, scopes in receivers:
        if CHANGES_READ in scopes.split():
            session.add(
                WebhookDelivery(client_id=client_id, change_id=change.id, next_attempt_at=now)
            )
    session.flush()
    return Change(change.id, subject, change_type, now)


_NEWEST = select(func.coalesce(func.max(ProfileChange.id), 0))


def position(connection: Connection) -> int:
    """The feed's cursor now: every event up to it is committed, and every event committed
    later has a greater one (writers are serialised by the feed lock). A client that takes
    this *before* reading the profiles and then follows the feed from it misses nothing."""
    return int(connection.execute(_NEWEST).scalar_one())


def page(session: Session, after: int, limit: int) -> Page:
    """Up to ``limit`` events with a cursor greater than ``after``, oldest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}")
    rows = session.execute(
        select(ProfileChange.id, ProfileChange.subject, ProfileChange.type, ProfileChange.at)
        .where(ProfileChange.id > after)
        .order_by(ProfileChange.id)
        .limit(limit + 1)
    ).all()
    changes = [Change(*row) for row in rows[:limit]]
    return Page(changes, changes[-1].cursor if changes else after, len(rows) > limit)
