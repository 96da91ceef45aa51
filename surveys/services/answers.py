"""Saving, reading and deleting one browser's answers.

The rules live here, not in the views: which codes are valid, that an LGA must be in the
chosen state, that a child's answers are never kept, and that "Not now" is remembered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from surveys import reference
from surveys.models import ANSWER_COLUMNS, Dismissal, Response, Survey
from surveys.questions import QUESTIONS

Answers = dict[str, str | None]

#: The shape of every survey's slug (see :mod:`surveys.services.catalogue`).
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

#: ``session.info`` key: respondent hash -> question keys whose answers changed in this
#: transaction. Only a note: this module never learns who anyone is. At commit,
#: :mod:`surveys.services.profile_events` tells the profile API's change feed about the
#: changes that a consent covers.
CHANGED_ANSWERS = "surveys.changed_answers"


def note_changed(session: Session, respondent_hash: str, keys: Iterable[str]) -> None:
    keys = set(keys)
    if keys:
        session.info.setdefault(CHANGED_ANSWERS, {}).setdefault(respondent_hash, set()).update(keys)


class InvalidAnswers(ValueError):
    """Some answers are not codes the question offers. ``errors`` maps question to message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def answer_errors(question_keys: list[str], answers: Mapping[str, str | None]) -> dict[str, str]:
    """Plain-language errors for answers that the questions do not offer (empty when valid)."""
    errors: dict[str, str] = {}
    unknown = set(answers) - set(question_keys)
    for key in sorted(unknown):
        errors[key] = "This survey does not ask this question."
    for key in question_keys:
        code = answers.get(key)
        if code is None or code == reference.PREFER_NOT_TO_SAY:
            continue
        if key == "lga":
            state = answers.get("state")
            if state in reference.geography().states:
                if code not in reference.lga_choices(state):
                    name = reference.geography().states[state].name
                    errors[key] = f"Choose a local government area in {name}, or leave it blank."
            elif code in reference.geography().lgas:
                errors[key] = "Choose your state first, then its local government area."
            else:
                errors[key] = "Choose a local government area from the list."
        elif code not in QUESTIONS[key].choices():
            errors[key] = f"Choose one of the listed answers for “{QUESTIONS[key].short_label}”."
    return errors


class Outcome(Enum):
    SAVED = "saved"
    #: Every question skipped: nothing to keep, and any earlier answers were cleared.
    NOTHING_GIVEN = "nothing_given"
    #: "Under 18": nothing kept, and this browser's earlier answers were deleted.
    UNDER_18 = "under_18"


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: Outcome
    response: Response | None = None


def save_answers(
    session: Session, survey: Survey, respondent_hash: str, answers: Answers, today: date
) -> SaveResult:
    """Store (or replace) this browser's answers to ``survey``.

    Raises :class:`InvalidAnswers` before touching the store if any answer is not valid.
    """
    errors = answer_errors(survey.questions, answers)
    if errors:
        raise InvalidAnswers(errors)

    if answers.get("age_band") == reference.UNDER_18:
        delete_answers(session, respondent_hash)
        return SaveResult(Outcome.UNDER_18)

    given = {key: code for key, code in answers.items() if code is not None}
    if not given:
        delete_answers(session, respondent_hash, survey)
        return SaveResult(Outcome.NOTHING_GIVEN)

    response = find_response(session, survey, respondent_hash)
    before: Answers = response.answers() if response is not None else {}
    if response is None:
        response = Response(
            survey_id=survey.id, respondent_hash=respondent_hash, submitted_on=today
        )
        try:
            with session.begin_nested():
                _fill(response, survey, answers, today)
                session.add(response)
        except IntegrityError:
            # The same browser submitted twice at once: the other request's row wins.
            response = find_response(session, survey, respondent_hash)
            if response is None:
                raise
            before = response.answers()
            _refill(session, response, survey, answers, today)
    else:
        _refill(session, response, survey, answers, today)
    session.flush()
    after = response.answers()
    note_changed(session, respondent_hash, [k for k in after if after[k] != before.get(k)])
    return SaveResult(Outcome.SAVED, response)


def _fill(response: Response, survey: Survey, answers: Answers, today: date) -> None:
    for key in survey.questions:
        setattr(response, ANSWER_COLUMNS[key], answers.get(key))
    response.updated_on = today


def _refill(
    session: Session, response: Response, survey: Survey, answers: Answers, today: date
) -> None:
    """Change stored answers."""
    _fill(response, survey, answers, today)


def find_response(session: Session, survey: Survey, respondent_hash: str) -> Response | None:
    return session.scalars(
        select(Response).where(
            Response.survey_id == survey.id, Response.respondent_hash == respondent_hash
        )
    ).one_or_none()


def responses_of(session: Session, respondent_hash: str) -> list[Response]:
    return list(
        session.scalars(
            select(Response)
            .join(Survey)
            .where(Response.respondent_hash == respondent_hash)
            .order_by(Survey.title)
        )
    )


def delete_responses_where(session: Session, condition: ColumnElement[bool]) -> int:
    """Delete the responses matching ``condition``."""
    session.flush()
    deleted = session.execute(delete(Response).where(condition)).rowcount  # type: ignore[attr-defined]
    session.flush()
    return int(deleted)


def delete_answers(session: Session, respondent_hash: str, survey: Survey | None = None) -> int:
    """Delete this browser's answers: to one survey, or to all of them."""
    condition = Response.respondent_hash == respondent_hash
    if survey is not None:
        condition = condition & (Response.survey_id == survey.id)
    deleted = delete_responses_where(session, condition)
    if deleted:
        note_changed(session, respondent_hash, survey.questions if survey else ANSWER_COLUMNS)
    return int(deleted)


def dismiss(session: Session, survey: Survey, respondent_hash: str, today: date, days: int) -> None:
    """Remember "Not now" for this browser and survey for ``days`` days."""
    until = today + timedelta(days=days)
    existing = session.scalars(
        select(Dismissal).where(
            Dismissal.survey_id == survey.id, Dismissal.respondent_hash == respondent_hash
        )
    ).one_or_none()
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    Dismissal(survey_id=survey.id, respondent_hash=respondent_hash, until=until)
                )
        except IntegrityError:
            pass  # a simultaneous "Not now" from the same browser already recorded it
    else:
        existing.until = until
    session.flush()


def offered_surveys(session: Session, respondent_hash: str | None, today: date) -> list[Survey]:
    """Open surveys, less those this browser said "Not now" to recently."""
    surveys = [
        s for s in session.scalars(select(Survey).order_by(Survey.title)) if s.is_open(today)
    ]
    if respondent_hash is None:
        return surveys
    dismissed = set(
        session.scalars(
            select(Dismissal.survey_id).where(
                Dismissal.respondent_hash == respondent_hash, Dismissal.until > today
            )
        )
    )
    return [s for s in surveys if s.id not in dismissed]


def open_survey(session: Session, slug: str, today: date) -> Survey | None:
    if not SLUG.fullmatch(slug):
        return None  # not even the shape of a slug (PostgreSQL would refuse a NUL in it)
    survey = session.scalars(select(Survey).where(Survey.slug == slug)).one_or_none()
    if survey is None or not survey.is_open(today):
        return None
    return survey
