"""Rollups: counts of responses by survey, ISO week and answer combination.

The dashboard reads these instead of the responses, so its cost depends on how many answer
combinations there are, not on how many people answered. They are changed in the same
transaction as the answers (see :mod:`surveys.services.answers`), and can be rebuilt from
the raw answers at any time with ``flask dashboard rebuild-rollups``.

A response counts in the ISO week (Monday to Sunday, UTC) in which it was *first submitted*;
changing one's answers later moves it between combinations but never between weeks.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.models import AnswerRollup, LgaRollup, Response
from surveys.models.answers import SKIPPED

log = logging.getLogger("surveys.rollups")


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one response adds to the rollups."""

    survey_id: uuid.UUID
    week: date
    state_code: str
    lga_code: str
    age_band: str
    income_band: str
    gender: str
    record_key: int

    def answer_key(self) -> dict[str, object]:
        return {
            "survey_id": self.survey_id,
            "week": self.week,
            "state_code": self.state_code,
            "age_band": self.age_band,
            "income_band": self.income_band,
            "gender": self.gender,
        }

    def lga_key(self) -> dict[str, object]:
        return {
            "survey_id": self.survey_id,
            "week": self.week,
            "state_code": self.state_code,
            "lga_code": self.lga_code,
        }

    def same_cells(self, other: Contribution) -> bool:
        return self.answer_key() == other.answer_key() and self.lga_key() == other.lga_key()


def contribution(response: Response) -> Contribution:
    return Contribution(
        survey_id=response.survey_id,
        week=week_of(response.submitted_on),
        state_code=response.state_code or SKIPPED,
        lga_code=response.lga_code or SKIPPED,
        age_band=response.age_band or SKIPPED,
        income_band=response.income_band or SKIPPED,
        gender=response.gender or SKIPPED,
        record_key=response.record_key,
    )


def count_in(session: Session, item: Contribution) -> None:
    _add(session, AnswerRollup, item.answer_key(), item.record_key)
    _add(session, LgaRollup, item.lga_key(), item.record_key)


def count_out(session: Session, item: Contribution) -> None:
    _subtract(session, AnswerRollup, item.answer_key(), item.record_key)
    _subtract(session, LgaRollup, item.lga_key(), item.record_key)


def _where(model: type, key: dict[str, object]):  # type: ignore[no-untyped-def]
    return and_(*(getattr(model, name) == value for name, value in key.items()))


def _bump(session: Session, model: type, key: dict[str, object], record_key: int) -> bool:
    result = session.execute(
        update(model)
        .where(_where(model, key))
        .values(count=model.count + 1, key_sum=model.key_sum + record_key)  # type: ignore[attr-defined]
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _add(session: Session, model: type, key: dict[str, object], record_key: int) -> None:
    if _bump(session, model, key, record_key):
        return
    try:
        with session.begin_nested():
            session.execute(
                insert(model).values(id=uuid.uuid4(), count=1, key_sum=record_key, **key)
            )
    except IntegrityError:
        # Another transaction made this combination's row first; count on it instead.
        if not _bump(session, model, key, record_key):
            raise


def _subtract(session: Session, model: type, key: dict[str, object], record_key: int) -> None:
    where = _where(model, key)
    # A row that would fall to zero is deleted, so no empty combination lingers.
    if session.execute(delete(model).where(where, model.count == 1)).rowcount:  # type: ignore[attr-defined]
        return
    result = session.execute(
        update(model)
        .where(where, model.count > 1)  # type: ignore[attr-defined]
        .values(count=model.count - 1, key_sum=model.key_sum - record_key)  # type: ignore[attr-defined]
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        # Never block a deletion over this; `flask dashboard rebuild-rollups` repairs it.
        log.warning("rollup out of step", extra={"fields": {"table": model.__tablename__}})  # type: ignore[attr-defined]


# --- recounting from the raw answers -------------------------------------------------------

AnswerCombo = tuple[uuid.UUID, date, str, str, str, str]
LgaCombo = tuple[uuid.UUID, date, str, str]


@dataclass(frozen=True, slots=True)
class Recount:
    answers: dict[AnswerCombo, tuple[int, int]]
    lgas: dict[LgaCombo, tuple[int, int]]


def recount(session: Session) -> Recount:
    """Count every response afresh: what the rollups must equal."""
    answers: Counter[AnswerCombo] = Counter()
    answer_keys: Counter[AnswerCombo] = Counter()
    lgas: Counter[LgaCombo] = Counter()
    lga_keys: Counter[LgaCombo] = Counter()
    for response in _all_responses(session):
        item = contribution(response)
        a = (
            item.survey_id,
            item.week,
            item.state_code,
            item.age_band,
            item.income_band,
            item.gender,
        )
        lg = (item.survey_id, item.week, item.state_code, item.lga_code)
        answers[a] += 1
        answer_keys[a] += item.record_key
        lgas[lg] += 1
        lga_keys[lg] += item.record_key
    return Recount(
        answers={k: (v, answer_keys[k]) for k, v in answers.items()},
        lgas={k: (v, lga_keys[k]) for k, v in lgas.items()},
    )


def stored(session: Session) -> Recount:
    """The rollups as stored, in the same shape as :func:`recount`."""
    answers = {
        (r.survey_id, r.week, r.state_code, r.age_band, r.income_band, r.gender): (
            r.count,
            int(r.key_sum),
        )
        for r in session.scalars(select(AnswerRollup))
    }
    lgas = {
        (r.survey_id, r.week, r.state_code, r.lga_code): (r.count, int(r.key_sum))
        for r in session.scalars(select(LgaRollup))
    }
    return Recount(answers=answers, lgas=lgas)


def _all_responses(session: Session) -> Iterable[Response]:
    return session.scalars(select(Response).execution_options(yield_per=5000))


def rebuild(session: Session) -> int:
    """Replace every rollup by a recount of the raw answers; returns the responses counted."""
    counted = recount(session)
    session.execute(delete(AnswerRollup))
    session.execute(delete(LgaRollup))
    names = ("survey_id", "week", "state_code", "age_band", "income_band", "gender")
    rows = [
        {"id": uuid.uuid4(), **dict(zip(names, k, strict=True)), "count": c, "key_sum": s}
        for k, (c, s) in counted.answers.items()
    ]
    lga_names = ("survey_id", "week", "state_code", "lga_code")
    lga_rows = [
        {"id": uuid.uuid4(), **dict(zip(lga_names, k, strict=True)), "count": c, "key_sum": s}
        for k, (c, s) in counted.lgas.items()
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(AnswerRollup), rows[start : start + 5000])
    for start in range(0, len(lga_rows), 5000):
        session.execute(insert(LgaRollup), lga_rows[start : start + 5000])
    session.flush()
    return sum(c for c, _ in counted.answers.values())


def total_responses(session: Session, survey_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(AnswerRollup.count), 0)).where(
                AnswerRollup.survey_id == survey_id
            )
        )
        or 0
    )
