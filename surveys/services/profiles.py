"""Profiles: what the profile API may give out about a subject, and the log of who read it.

A profile is the latest answer to each attribute the subject consented to share. Reading
profiles is the recommendation service's hot path, so :func:`profiles_of` runs two prepared
Core statements on plain connections, one per store (``surveys.api.connections`` hands the
API autocommit ones), and costs the same two round trips for one subject or a hundred. The
answers statement is :func:`surveys.services.answers.states_of`'s: the clear rows and the
pending journal entries of the linked browsers in one UNION ALL, so a change made minutes ago
is in the profile though the clear rows change only at the nightly settle. The rest of the
app reads through its ORM session with :func:`profile_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import (
    ConsentLink,
    ConsentRecord,
    ProfileChange,
    ProfileRead,
    Response,
)
from surveys.models.identity import GIVEN
from surveys.questions import QUESTION_KEYS
from surveys.services.answers import journal, states_of
from surveys.services.answers.journal import Held
from surveys.services.answers.sealing import Sealer
from surveys.services.consent import LinkCipher


@dataclass(frozen=True, slots=True)
class Profile:
    """What personalisation may use: the latest answer to each consented attribute."""

    #: Question key -> stored code, only for consented attributes that have an answer.
    attributes: dict[str, str]
    notice_version: str
    #: When the shopper last gave or changed the consent.
    consent_changed_at: datetime
    #: The most recent day any of the returned answers was given or changed.
    answers_updated_on: date
    #: When the profile last changed: the consent, or an answer it covers (the change feed).
    changed_at: datetime


def profile_of(session: Session, subject: str, cipher: LinkCipher) -> Profile | None:
    """The profile of ``subject``: None when there is nothing to give.

    "No consent", "consent but no answers" and "unknown subject" all return None, so that a
    caller cannot tell them apart. A "Prefer not to say" answer is the shopper's latest word
    on that attribute and so hides older answers to it.
    """
    session.flush()  # this transaction's own journal entries are read back too
    identity = session.connection(bind_arguments={"mapper": ConsentLink})
    answers = session.connection(bind_arguments={"mapper": Response})
    return profiles_of(identity, answers, [subject], cipher, journal.sealer()).get(subject)


def _consents_statement(many: bool) -> Select[Any]:
    """The identity store's query, built once. One subject is matched with ``=``; several
    with an expanding ``IN``, which SQLAlchemy re-renders on every call, so singles skip it."""
    links, records = ConsentLink.__table__, ConsentRecord.__table__
    changes = ProfileChange.__table__
    newest_record = (
        select(func.max(records.c.given_at))
        .where(records.c.subject == links.c.subject)
        .correlate(links)
        .scalar_subquery()
    )
    newest_event = (
        select(func.max(changes.c.at))
        .where(changes.c.subject == links.c.subject)
        .correlate(links)
        .scalar_subquery()
    )
    consents = (
        select(
            links.c.subject,
            links.c.encrypted_key,
            records.c.attributes,
            records.c.notice_version,
            records.c.given_at,
            newest_event,
        )
        .join(records, records.c.subject == links.c.subject)
        .where(
            links.c.subject.in_(bindparam("subjects", expanding=True))
            if many
            else links.c.subject == bindparam("subjects"),
            records.c.given_at == newest_record,
            records.c.status == GIVEN,
        )
    )
    return consents


_ONE = _consents_statement(many=False)
_MANY = _consents_statement(many=True)


def profiles_of(
    identity: Connection,
    answers: Connection,
    subjects: Sequence[str],
    cipher: LinkCipher,
    sealer: Sealer,
) -> dict[str, Profile]:
    """The profiles of those ``subjects`` that have one, in two queries whatever their number:
    each subject's link, newest consent record and newest change-feed event from the identity
    store, then the linked browsers' answers (clear rows and pending entries) from the
    answers store."""
    if not subjects:
        return {}
    many = len(subjects) > 1
    consents = identity.execute(
        _MANY if many else _ONE, {"subjects": list(subjects) if many else subjects[0]}
    ).all()
    if not consents:
        return {}
    hashes = {row[0]: cipher.respondent_hash_of(row[1]) for row in consents}
    states = states_of(answers, list(hashes.values()), sealer, with_dismissals=False)
    profiles: dict[str, Profile] = {}
    for subject, _key, attributes, notice_version, given_at, event_at in consents:
        held = sorted(states[hashes[subject]].responses.values(), key=_newest_first)
        profile = _profile(held, attributes, notice_version, given_at, event_at)
        if profile is not None:
            profiles[subject] = profile
    return profiles


def _newest_first(held: Held) -> tuple[int, int, str]:
    """Latest change first, then latest first answer, then by survey slug."""
    return (-held.updated_on.toordinal(), -held.submitted_on.toordinal(), held.slug)


def _profile(
    rows: list[Held],
    attributes: list[str],
    notice_version: str,
    given_at: datetime,
    event_at: datetime | None,
) -> Profile | None:
    values: dict[str, str] = {}
    days: dict[str, date] = {}
    for key in attributes:
        for row in rows:
            code = row.answers[key]
            if code is not None:
                if code != reference.PREFER_NOT_TO_SAY:
                    values[key], days[key] = code, row.updated_on
                break
    lga = values.get("lga")
    if lga is not None and not lga.startswith(f"{values.get('state')}-"):
        # An LGA from another survey than the state would reveal a state the shopper withheld.
        del values["lga"], days["lga"]
    if not values:
        return None
    return Profile(
        attributes={key: values[key] for key in QUESTION_KEYS if key in values},
        notice_version=notice_version,
        consent_changed_at=given_at,
        answers_updated_on=max(days.values()),
        changed_at=max(given_at, event_at) if event_at is not None else given_at,
    )


_INSERT_READ = insert(ProfileRead.__table__)


def record_reads(
    connection: Connection,
    client: str,
    reads: Iterable[tuple[str, Iterable[str]]],
    now: datetime,
) -> None:
    """Log reads (subject, attribute keys returned) for their shoppers. On an autocommit
    connection each row is committed as it is written, so give many reads a connection in a
    transaction: one commit for the lot."""
    rows = [
        {"subject": subject, "client": client, "attributes": list(keys), "read_at": now}
        for subject, keys in reads
    ]
    if rows:
        connection.execute(_INSERT_READ, rows)


def record_read(
    session: Session, subject: str, client: str, attributes: Iterable[str], now: datetime
) -> ProfileRead:
    """Log one read through the ORM session (outside the API's hot path)."""
    read = ProfileRead(subject=subject, client=client, attributes=list(attributes), read_at=now)
    session.add(read)
    session.flush()
    return read


def reads_of(session: Session, subject: str, limit: int | None = None) -> list[ProfileRead]:
    """Who read ``subject``'s profile and what they got, newest first (shown on /me)."""
    return list(
        session.scalars(
            select(ProfileRead)
            .where(ProfileRead.subject == subject)
            .order_by(ProfileRead.read_at.desc())
            .limit(limit)
        )
    )


def count_reads(session: Session, subject: str) -> int:
    return int(session.scalar(select(func.count()).where(ProfileRead.subject == subject)) or 0)


def forget_reads(session: Session, subject: str) -> int:
    result = session.execute(delete(ProfileRead).where(ProfileRead.subject == subject))
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]
