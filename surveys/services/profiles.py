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

import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    true,
)
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
from surveys.services import driver_rows
from surveys.services.answers import journal, states_of
from surveys.services.answers.journal import Held
from surveys.services.answers.reading import answers_of_page
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


#: Longer than any shop customer id: such a subject cannot have a profile.
SUBJECT_MAX = 128


def subject_could_exist(subject: str) -> bool:
    """Too long, or with a NUL (which no store can hold): no such subject has a profile."""
    return len(subject) <= SUBJECT_MAX and "\x00" not in subject


def _consents_statement(match: str) -> Select[Any]:
    """The identity store's query, built once. One subject is matched with ``=``; several
    with an expanding ``IN``, which SQLAlchemy re-renders on every call, so singles skip it;
    the bulk sync's page takes the next ``limit`` subjects ``after`` one, in the order of the
    unique index on ``consent_links.subject``."""
    links, records = ConsentLink.__table__, ConsentRecord.__table__
    changes = ProfileChange.__table__
    # The newest record by its primary key: a join on "given_at = the newest given_at" lets
    # the planner walk the given_at index instead, which many equal times make a scan.
    earlier = records.alias("newest")
    newest_record = (
        select(earlier.c.id)
        .where(earlier.c.subject == links.c.subject)
        .order_by(earlier.c.given_at.desc(), earlier.c.id)
        .limit(1)
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
        .select_from(links)
        .join(records, records.c.id == newest_record)
        .where(records.c.status == GIVEN)
    )
    if match == "one":
        return consents.where(links.c.subject == bindparam("subjects"))
    if match == "many":
        return consents.where(links.c.subject.in_(bindparam("subjects", expanding=True)))
    return (
        consents.where(links.c.subject > bindparam("after"))
        .order_by(links.c.subject)
        .limit(bindparam("limit"))
    )


_ONE = _consents_statement("one")
#: One subject's consent row (bound as ``subjects``): what the caller's lookup reads with it.
ONE_CONSENT = _ONE
_MANY = _consents_statement("many")
_AFTER = _consents_statement("after")


def _window_statement() -> Select[Any]:
    """The bulk sync's page on PostgreSQL: the next ``limit`` links after ``after`` first, then
    each one's newest record and feed event beside it (LATERAL), and a row for every link in
    the window (the record's columns NULL when it has none given: the caller drops those).

    psycopg prepares a statement on the server from its fifth run, and PostgreSQL then plans
    it once for any ``after`` and ``limit``: for :data:`_AFTER` that generic plan hash-joins
    every consent record and sorts them all (150 ms a page for 20,000 consents, against 5 ms
    planned with the values; found by the bench, whose sync slowed from its sixth page on).
    A LIMIT on the links alone, then lookups per link, has one plan whatever the values."""
    links, records = ConsentLink.__table__, ConsentRecord.__table__
    changes = ProfileChange.__table__
    window = (
        select(links.c.subject, links.c.encrypted_key)
        .where(links.c.subject > bindparam("after"))
        .order_by(links.c.subject)
        .limit(bindparam("limit"))
        .subquery("window")
    )
    newest = (
        select(records.c.attributes, records.c.notice_version, records.c.given_at, records.c.status)
        .where(records.c.subject == window.c.subject)
        .order_by(records.c.given_at.desc(), records.c.id)
        .limit(1)
        .lateral("newest")
    )
    newest_event = (
        select(func.max(changes.c.at))
        .where(changes.c.subject == window.c.subject)
        .correlate(window)
        .scalar_subquery()
    )
    return (
        select(
            window.c.subject,
            window.c.encrypted_key,
            newest.c.attributes,
            newest.c.notice_version,
            newest.c.given_at,
            newest_event,
            newest.c.status,
        )
        .select_from(window.outerjoin(newest, true()))
        .order_by(window.c.subject)
    )


_WINDOW = _window_statement()


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
    return _profiles_from(answers, consents, cipher, sealer)


def shares_anything(session: Session, subject: str, cipher: LinkCipher) -> bool:
    """Whether a client reading ``subject`` now, in this transaction, would get a profile."""
    identity = session.connection(bind_arguments={"mapper": ConsentLink})
    answers = session.connection(bind_arguments={"mapper": Response})
    return subject in profiles_of(identity, answers, [subject], cipher, journal.sealer())


def profiles_from_consents(
    answers: Connection, consents: Sequence[Any], cipher: LinkCipher, sealer: Sealer
) -> dict[str, Profile]:
    """The profiles of rows of :data:`ONE_CONSENT` read already (with the caller's token)."""
    return _profiles_from(answers, consents, cipher, sealer)


def _profiles_from(
    answers: Connection, consents: Sequence[Any], cipher: LinkCipher, sealer: Sealer
) -> dict[str, Profile]:
    """The profiles of the subjects in these rows of the consents statement, in their order,
    with one answers query for all of them."""
    if not consents:
        return {}
    # Decrypted once per link, without the per-process cache: a bulk sync reads every link
    # once, and would only push the hot single reads' links out of it.
    bulk = len(consents) > BULK_UNCACHED
    decrypt = cipher.respondent_hash_uncached if bulk else cipher.respondent_hash_of
    hashes = {row[0]: decrypt(row[1]) for row in consents}
    states = states_of(answers, list(hashes.values()), sealer, with_dismissals=False)
    profiles: dict[str, Profile] = {}
    for subject, _key, attributes, notice_version, given_at, event_at in consents:
        held = sorted(states[hashes[subject]].responses.values(), key=_newest_first)
        profile = _profile(held, attributes, notice_version, given_at, event_at)
        if profile is not None:
            profiles[subject] = profile
    return profiles


#: Pages of more subjects than this decrypt their links without the per-process cache.
BULK_UNCACHED = 100


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of the bulk sync: the next profiles after a subject, in order."""

    #: The profiles found, in subject order: ``limit`` of them unless this is the last page.
    profiles: dict[str, Profile]
    #: The last subject given out: the next page starts after it.
    last_subject: str | None
    has_more: bool


def consented_after(
    identity: Connection,
    answers: Connection,
    after: str,
    limit: int,
    cipher: LinkCipher,
    sealer: Sealer,
) -> Listing:
    """The next ``limit`` profiles after subject ``after`` (``""`` for the first), in subject
    order, two statements per ``limit + 1`` consents looked at, whatever ``limit`` is.

    A page is always full unless it is the last, and ``has_more`` says whether another
    *profile* follows: a consent with nothing to share must look exactly like no consent, so
    it may neither shorten a page nor end a walk early (a short page between two known
    subjects would point at the customers in between). Subjects whose consent is active
    throughout a walk of every page are seen exactly once; one that gives, changes or
    withdraws consent meanwhile may be seen or not, and the change feed says so."""
    found: dict[str, Profile] = {}
    position, exhausted = after, False
    statement = _WINDOW if identity.dialect.name == "postgresql" else _AFTER
    while len(found) <= limit and not exhausted:
        rows = driver_rows.rows(identity, statement, {"after": position, "limit": limit + 1})
        exhausted = len(rows) <= limit
        if rows:
            position = rows[-1][0]
            if statement is _WINDOW:  # a link whose newest record is not a consent: none
                rows = [row[:6] for row in rows if row[6] == GIVEN]
            found.update(_page_profiles(answers, rows, cipher, sealer))
    subjects = list(found)  # in the order of the rows: the store's subject order
    page = subjects[:limit]
    return Listing(
        profiles={subject: found[subject] for subject in page},
        last_subject=page[-1] if page else None,
        has_more=len(subjects) > limit,
    )


def _page_profiles(
    answers: Connection, consents: Sequence[Any], cipher: LinkCipher, sealer: Sealer
) -> dict[str, Profile]:
    """:func:`_profiles_from` for a page of the bulk sync: the links decrypted together,
    without the per-process cache (a walk reads every link once, and would only push the hot
    single reads' links out of it), and the answers read with one bound list."""
    hashes = cipher.respondent_hashes([row[1] for row in consents])
    held = answers_of_page(answers, list(dict.fromkeys(hashes)), sealer)
    profiles: dict[str, Profile] = {}
    for (subject, _key, attributes, notice_version, given_at, event_at), hashed in zip(
        consents, hashes, strict=True
    ):
        rows = held[hashed]
        if len(rows) > 1:
            rows.sort(key=_newest_first)
        profile = _profile(rows, attributes, notice_version, given_at, event_at)
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
_READS = ProfileRead.__table__.c
_INSERT_READS = {
    dialect: text(f"""
        INSERT INTO {ProfileRead.__tablename__} (id, subject, client, attributes, read_at)
        {select_rows}""").bindparams(
        bindparam("client", type_=_READS.client.type),
        bindparam("read_at", type_=_READS.read_at.type),
    )
    for dialect, select_rows in {
        "postgresql": """SELECT r.id, r.subject, :client, CAST(r.attributes AS json), :read_at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:subjects AS varchar[]),
                    CAST(:attributes AS text[])) AS r(id, subject, attributes)""",
        "sqlite": """SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), :client,
               json_extract(value, '$[2]'), :read_at
        FROM json_each(:rows)""",
    }.items()
}


def _bulk_parameters(
    dialect: str, client: str, rows: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    # The same values the ORM would store: a UUID (hex on SQLite), the key list as JSON text
    # (made once per distinct list: a page has a handful).
    ids = [f"{made:032x}" for made in _read_ids(now, len(rows))]
    subjects = [row["subject"] for row in rows]
    as_json: dict[tuple[str, ...], str] = {}
    attributes = []
    for row in rows:
        keys = tuple(row["attributes"])
        if keys not in as_json:
            as_json[keys] = json.dumps(list(keys))
        attributes.append(as_json[keys])
    shared = {"client": client, "read_at": now}
    if dialect == "postgresql":
        return {**shared, "ids": ids, "subjects": subjects, "attributes": attributes}
    return {**shared, "rows": json.dumps(list(zip(ids, subjects, attributes, strict=True)))}


#: UUID version 7's fixed bits: the version (0111) and the variant (10).
_VERSION_7 = (0x7 << 76) | (0x2 << 62)
_LOW_62 = (1 << 62) - 1


def read_id(now: datetime) -> uuid.UUID:
    """A log row's id: a UUID version 7 (RFC 9562), the read's millisecond then 74 random
    bits, so that the log's rows are appended at the end of its primary key's index. Random
    ids (version 4) land all over it: a page of 1,000 rows then rewrites about as many index
    pages, which costs ~26 ms per page on SQLite instead of ~4. The time it carries is in
    ``read_at`` already."""
    bits = secrets.randbits(74)
    millisecond = int(now.timestamp() * 1000)
    return uuid.UUID(int=(millisecond << 80) | _VERSION_7 | (bits >> 62) << 64 | (bits & _LOW_62))


def _read_ids(now: datetime, count: int) -> list[int]:
    """``count`` ids as :func:`read_id` makes them, as integers, the random bits drawn at once."""
    high = (int(now.timestamp() * 1000) << 80) | _VERSION_7
    drawn = secrets.token_bytes(10 * count)
    made = []
    for at in range(0, 10 * count, 10):
        bits = int.from_bytes(drawn[at : at + 10], "big") >> 6  # 74 of the 80 bits
        made.append(high | (bits >> 62) << 64 | (bits & _LOW_62))
    return made


def record_reads(
    connection: Connection,
    client: str,
    reads: Iterable[tuple[str, Iterable[str]]],
    now: datetime,
) -> None:
    """Log reads (subject, attribute keys returned) for their shoppers, in one statement
    however many: on an autocommit connection that is one commit, made before this returns,
    and all or nothing."""
    rows = [
        {"subject": subject, "client": client, "attributes": list(keys), "read_at": now}
        for subject, keys in reads
    ]
    if len(rows) == 1:
        connection.execute(_INSERT_READ, {**rows[0], "id": read_id(now)})
    elif rows:
        # One statement for the lot, prepared once: the rows go in as arrays (PostgreSQL) or
        # one JSON document (SQLite). An executemany is a statement per row on most drivers,
        # and a multi-row VALUES is compiled anew for every page (~0.3 s for 1,000 rows).
        connection.execute(
            _INSERT_READS[connection.dialect.name],
            _bulk_parameters(connection.dialect.name, client, rows, now),
        )


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
