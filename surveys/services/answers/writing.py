"""Saving, changing and deleting one browser's answers and "Not now" marks.

The rules live here, not in the views: which codes are valid, that an LGA must be in the
chosen state, that a child's answers are never kept, and that "Not now" is remembered. What
a visit does is written as its browser's journal entry for the day (see
:mod:`surveys.services.answers.journal`); every reader sees it at once, and the nightly
settle makes it a clear row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from sqlalchemy.orm import Session

from surveys import clock, reference
from surveys.models import ANSWER_COLUMNS, Survey
from surveys.services.answers import journal, reading
from surveys.services.answers.journal import Answers, Draft
from surveys.services.answers.reading import CurrentResponse
from surveys.services.answers.validation import InvalidAnswers, answer_errors

#: ``session.info`` key: respondent hash -> question keys whose answers changed in this
#: transaction. Only a note: this module never learns who anyone is. At commit,
#: :mod:`surveys.services.profile_events` tells the profile API's change feed about the
#: changes that a consent covers.
CHANGED_ANSWERS = "surveys.changed_answers"


def note_changed(session: Session, respondent_hash: str, keys: Iterable[str]) -> None:
    keys = set(keys)
    if keys:
        session.info.setdefault(CHANGED_ANSWERS, {}).setdefault(respondent_hash, set()).update(keys)


class Outcome(Enum):
    SAVED = "saved"
    #: Every question skipped: nothing to keep, and any earlier answers were cleared.
    NOTHING_GIVEN = "nothing_given"
    #: "Under 18": nothing kept, and this browser's earlier answers were deleted.
    UNDER_18 = "under_18"


@dataclass(frozen=True, slots=True)
class SaveResult:
    outcome: Outcome
    response: CurrentResponse | None = None


def draft(session: Session, respondent_hash: str, day: date) -> Draft:
    """The journal entry this transaction is writing for the browser on ``day``: its newest
    one if that is for the same day, else a new one on top of it (so that the entries keep
    the order of what was done), else a new one on top of what the store holds."""
    latest = journal.latest_draft(session, respondent_hash)
    if latest is not None and latest.day == day:
        return latest
    base = latest.state if latest is not None else reading.browser_state(session, respondent_hash)
    return journal.new_draft(session, respondent_hash, day, base)


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
        delete_answers(session, respondent_hash, today=today)
        return SaveResult(Outcome.UNDER_18)

    given = {key: code for key, code in answers.items() if code is not None}
    if not given:
        delete_answers(session, respondent_hash, survey, today=today)
        return SaveResult(Outcome.NOTHING_GIVEN)

    entry = draft(session, respondent_hash, today)
    before = entry.state.responses.get(survey.id)
    before_answers: Answers = dict(before.answers) if before is not None else {}
    entry.save(survey, {key: answers.get(key) for key in survey.questions})
    after = entry.state.responses[survey.id]
    note_changed(
        session,
        respondent_hash,
        [key for key in ANSWER_COLUMNS if after.answers[key] != before_answers.get(key)],
    )
    return SaveResult(
        Outcome.SAVED,
        CurrentResponse(survey, dict(after.answers), after.submitted_on, after.updated_on),
    )


def delete_answers(
    session: Session,
    respondent_hash: str,
    survey: Survey | None = None,
    *,
    today: date | None = None,
) -> int:
    """Delete this browser's answers: to one survey, or to all of them. Every reader stops
    seeing them at once; the clear rows go at the next settle. Returns how many."""
    held = reading.browser_state(session, respondent_hash).responses
    deleted = [survey.id] if survey is not None and survey.id in held else []
    if survey is None:
        deleted = list(held)
    if not deleted:
        return 0
    draft(session, respondent_hash, today or clock.today()).delete(survey)
    note_changed(session, respondent_hash, survey.questions if survey else ANSWER_COLUMNS)
    return len(deleted)


def dismiss(session: Session, survey: Survey, respondent_hash: str, today: date, days: int) -> None:
    """Remember "Not now" for this browser and survey for ``days`` days."""
    draft(session, respondent_hash, today).dismiss(survey, today + timedelta(days=days))


def clear_dismissals(session: Session, respondent_hash: str, today: date) -> None:
    """Forget every "Not now" of this browser."""
    if reading.browser_state(session, respondent_hash).dismissals:
        draft(session, respondent_hash, today).clear_dismissals()
