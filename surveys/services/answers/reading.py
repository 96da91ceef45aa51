"""Reading a browser's answers as they are now: the clear rows overlaid with its pending
journal entries, in the order they were made.

Every reader of one browser's answers goes through here (the survey page, the thank-you
page, "Not now", ``/me`` and its export, the profile API), so that a change or a deletion is
seen at once everywhere, though the clear rows only change at the nightly settle. One
statement per read: a UNION ALL of the clear rows of the wanted respondent hashes and their
entries, found by their keyed tags.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    LargeBinary,
    String,
    Uuid,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import CompoundSelect

from surveys.models import ANSWER_COLUMNS, Dismissal, Response, Survey
from surveys.models.answers import JournalEntry
from surveys.reference import PREFER_NOT_TO_SAY
from surveys.services import driver_rows
from surveys.services.answers import journal
from surveys.services.answers.journal import Answers, BrowserState, Entry, Held
from surveys.services.answers.sealing import Sealer
from surveys.services.answers.validation import SLUG

CLEAR, NOT_NOW, PENDING = "r", "x", "j"


def _statement(*, many: bool | str, with_dismissals: bool) -> CompoundSelect:
    """Built once per shape. One hash is matched with ``=``; several with an expanding
    ``IN`` (which SQLAlchemy re-renders on every call, so single reads skip it); a page of
    the bulk sync (``many`` names the dialect) with one bound list: an array on PostgreSQL,
    a JSON document on SQLite, so the statement is the same text whatever the number."""
    responses, surveys = Response.__table__, Survey.__table__
    entries, marks = JournalEntry.__table__, Dismissal.__table__

    def match(column: Any, name: str) -> Any:
        if many == "postgresql":
            return column == any_(bindparam(name, type_=ARRAY(String)))
        if many == "sqlite":
            listed = select(literal_column("value")).select_from(func.json_each(bindparam(name)))
            return column.in_(listed.scalar_subquery())
        return column.in_(bindparam(name, expanding=True)) if many else column == bindparam(name)

    no_answers = [cast(null(), String(32)) for _ in ANSWER_COLUMNS]
    parts = [
        select(
            literal_column(f"'{CLEAR}'").label("kind"),
            responses.c.respondent_hash.label("key"),
            responses.c.survey_id,
            surveys.c.slug,
            responses.c.submitted_on,
            responses.c.updated_on,
            *(responses.c[column] for column in ANSWER_COLUMNS.values()),
            cast(null(), Date).label("until"),
            cast(null(), LargeBinary).label("sealed"),
            cast(null(), Uuid).label("entry_id"),
        )
        .join(surveys, surveys.c.id == responses.c.survey_id)
        .where(match(responses.c.respondent_hash, "hashes")),
        select(
            literal_column(f"'{PENDING}'"),
            entries.c.tag,
            cast(null(), Uuid),
            cast(null(), String(64)),
            cast(null(), Date),
            cast(null(), Date),
            *no_answers,
            cast(null(), Date),
            entries.c.sealed,
            entries.c.id,
        ).where(match(entries.c.tag, "tags")),
    ]
    if with_dismissals:
        parts.append(
            select(
                literal_column(f"'{NOT_NOW}'"),
                marks.c.respondent_hash,
                marks.c.survey_id,
                cast(null(), String(64)),
                cast(null(), Date),
                cast(null(), Date),
                *no_answers,
                marks.c.until,
                cast(null(), LargeBinary),
                cast(null(), Uuid),
            ).where(match(marks.c.respondent_hash, "hashes"))
        )
    return union_all(*parts)


_STATEMENTS = {
    (many, marks): _statement(many=many, with_dismissals=marks)
    for many in (False, True)
    for marks in (False, True)
}


def states_of(
    connection: Connection,
    hashes: Sequence[str],
    sealer: Sealer,
    *,
    with_dismissals: bool = True,
) -> dict[str, BrowserState]:
    """The current state of each browser in ``hashes``, in one statement whatever their
    number. Pending entries are opened only when a browser has any."""
    if not hashes:
        return {}
    wanted = list(dict.fromkeys(hashes))
    owner = {tag: hashed for hashed in wanted for tag in sealer.tags(hashed)}
    many = len(wanted) > 1 or len(owner) > 1
    params = {
        "hashes": wanted if many else wanted[0],
        "tags": list(owner) if many else next(iter(owner)),
    }
    states = {hashed: BrowserState() for hashed in wanted}
    pending: dict[str, list[Entry]] = {}
    for row in connection.execute(_STATEMENTS[(many, with_dismissals)], params):
        kind, key = row[0], row[1]
        if kind == CLEAR:
            answers = {name: row[6 + index] for index, name in enumerate(ANSWER_COLUMNS)}
            states[key].responses[row.survey_id] = Held(
                row.survey_id, row.slug, answers, row.submitted_on, row.updated_on
            )
        elif kind == NOT_NOW:
            states[key].dismissals[row.survey_id] = row.until
        else:
            hashed = owner[key]
            entry = Entry.from_payload(_uuid(row.entry_id), sealer.open(row.sealed, key))
            pending.setdefault(hashed, []).append(entry)
    for hashed, entries in pending.items():
        for entry in sorted(entries, key=Entry.sort_key):
            journal.apply(states[hashed], entry)
    return states


#: The answers of a page of the bulk sync, one statement per dialect (see :func:`_statement`).
_PAGE_STATEMENTS = {
    dialect: _statement(many=dialect, with_dismissals=False) for dialect in ("postgresql", "sqlite")
}


def answers_of_page(
    connection: Connection, hashes: Sequence[str], sealer: Sealer
) -> dict[str, list[Held]]:
    """What each browser in ``hashes`` holds now, as :func:`states_of` without the "Not now"
    marks, for a page of the bulk sync: one statement whose text is the same whatever the
    number of hashes (one bound list, not a parameter per hash, which SQLAlchemy and the
    driver would otherwise render and parse anew for every page)."""
    if not hashes:
        return {}
    owner = {tag: hashed for hashed in hashes for tag in sealer.tags(hashed)}
    dialect = connection.dialect.name
    if dialect == "postgresql":
        params: dict[str, Any] = {"hashes": list(hashes), "tags": list(owner)}
    else:
        params = {"hashes": json.dumps(list(hashes)), "tags": json.dumps(list(owner))}
    held: dict[str, dict[Any, Held]] = {hashed: {} for hashed in hashes}
    pending: dict[str, list[Entry]] = {}
    width = len(ANSWER_COLUMNS)
    for row in driver_rows.rows(connection, _PAGE_STATEMENTS[dialect], params):
        kind, key, survey_id, slug, submitted_on, updated_on = row[:6]
        if kind == CLEAR:
            answers = dict(zip(ANSWER_KEYS, row[6 : 6 + width], strict=True))
            held[key][survey_id] = Held(survey_id, slug, answers, submitted_on, updated_on)
        else:
            entry = Entry.from_payload(_uuid(row[-1]), sealer.open(row[-2], key))
            pending.setdefault(owner[key], []).append(entry)
    for hashed, entries in pending.items():
        state = BrowserState(held[hashed])
        for entry in sorted(entries, key=Entry.sort_key):
            journal.apply(state, entry)
        held[hashed] = state.responses
    return {hashed: list(responses.values()) for hashed, responses in held.items()}


ANSWER_KEYS = tuple(ANSWER_COLUMNS)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def browser_state(session: Session, respondent_hash: str) -> BrowserState:
    """This browser's state as this transaction sees it (with what it has written so far)."""
    draft = journal.latest_draft(session, respondent_hash)
    if draft is not None:
        return draft.state
    connection = session.connection(bind_arguments={"mapper": Response})
    return states_of(connection, [respondent_hash], journal.sealer())[respondent_hash]


@dataclass(frozen=True, slots=True)
class CurrentResponse:
    """One browser's answers to one survey as they are now (clear row and pending entries)."""

    survey: Survey
    codes: Answers
    submitted_on: date
    updated_on: date

    def answers(self) -> Answers:
        return dict(self.codes)


def _current(session: Session, state: BrowserState) -> list[CurrentResponse]:
    wanted = list(state.responses)
    if not wanted:
        return []
    # Surveys are few and already in the identity map after the first page of a visit.
    surveys = {s.id: s for s in session.scalars(select(Survey).where(Survey.id.in_(wanted)))}
    return [
        CurrentResponse(
            surveys[held.survey_id], dict(held.answers), held.submitted_on, held.updated_on
        )
        for held in state.responses.values()
        if held.survey_id in surveys  # an entry for a survey deleted since is ignored
    ]


def responses_of(session: Session, respondent_hash: str) -> list[CurrentResponse]:
    """Every answer this browser holds now, by survey title."""
    found = _current(session, browser_state(session, respondent_hash))
    return sorted(found, key=lambda response: response.survey.title)


def find_response(session: Session, survey: Survey, respondent_hash: str) -> CurrentResponse | None:
    held = browser_state(session, respondent_hash).responses.get(survey.id)
    if held is None:
        return None
    return CurrentResponse(survey, dict(held.answers), held.submitted_on, held.updated_on)


def dismissed(session: Session, respondent_hash: str, today: date) -> set[uuid.UUID]:
    """Surveys this browser said "Not now" to that are still not to be offered today."""
    marks = browser_state(session, respondent_hash).dismissals
    return {survey_id for survey_id, until in marks.items() if until > today}


def offered_surveys(session: Session, respondent_hash: str | None, today: date) -> list[Survey]:
    """Open surveys, less those this browser said "Not now" to recently."""
    surveys = [
        s for s in session.scalars(select(Survey).order_by(Survey.title)) if s.is_open(today)
    ]
    if respondent_hash is None:
        return surveys
    hidden = dismissed(session, respondent_hash, today)
    return [s for s in surveys if s.id not in hidden]


def latest_answers(session: Session, respondent_hash: str, keys: Sequence[str]) -> Answers:
    """This browser's most recent real answer to each question in ``keys``, across all its
    surveys, to start a new survey's form with (skipped and "Prefer not to say" are not
    carried over). An LGA only comes with the state it was given with, so never disagrees
    with it. Only this browser's own answers: the clear rows of its hash and its entries."""
    held = browser_state(session, respondent_hash).responses.values()
    newest_first = sorted(held, key=lambda h: (h.updated_on, h.seq), reverse=True)
    found: Answers = {}
    for response in newest_first:
        for key in keys:
            code = response.answers.get(key)
            if key in found or key == "lga" or code in (None, PREFER_NOT_TO_SAY):
                continue
            found[key] = code
            lga = response.answers.get("lga")
            if key == "state" and "lga" in keys and lga not in (None, PREFER_NOT_TO_SAY):
                found["lga"] = lga
    return found


def next_survey(
    session: Session, respondent_hash: str | None, today: date, *, after: Survey | None = None
) -> Survey | None:
    """The survey to offer this browser (after answering ``after``, on the thank-you page, or
    in the shop's invitation): the first open one (by title) that it has neither answered nor
    said "Not now" to, if any."""
    surveys = [
        s
        for s in session.scalars(select(Survey).order_by(Survey.title))
        if s.is_open(today) and (after is None or s.id != after.id)
    ]
    if respondent_hash is None or not surveys:
        return surveys[0] if surveys else None
    state = browser_state(session, respondent_hash)
    put_off = {survey_id for survey_id, until in state.dismissals.items() if until > today}
    return next((s for s in surveys if s.id not in state.responses and s.id not in put_off), None)


def open_survey(session: Session, slug: str, today: date) -> Survey | None:
    if not SLUG.fullmatch(slug):
        return None  # not even the shape of a slug (PostgreSQL would refuse a NUL in it)
    survey = session.scalars(select(Survey).where(Survey.slug == slug)).one_or_none()
    if survey is None or not survey.is_open(today):
        return None
    return survey
