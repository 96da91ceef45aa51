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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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


class Tally:
    """Counts of contributions kept in memory, for recounts and bulk loads."""

    def __init__(self) -> None:
        self.answers: dict[AnswerCombo, list[int]] = {}
        self.lgas: dict[LgaCombo, list[int]] = {}

    def add(self, row: Any) -> None:
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        submitted: date = get("submitted_on")  # type: ignore[assignment]
        survey_id: uuid.UUID = get("survey_id")  # type: ignore[assignment]
        key: int = get("record_key")  # type: ignore[assignment]
        week = week_of(submitted)
        state = get("state_code") or SKIPPED
        a = (
            survey_id,
            week,
            state,
            get("age_band") or SKIPPED,
            get("income_band") or SKIPPED,
            get("gender") or SKIPPED,
        )
        lg = (survey_id, week, state, get("lga_code") or SKIPPED)
        for table, combo in ((self.answers, a), (self.lgas, lg)):
            cell = table.setdefault(combo, [0, 0])  # type: ignore[arg-type]
            cell[0] += 1
            cell[1] += key

    def result(self) -> Recount:
        return Recount(
            answers={k: (c, s) for k, (c, s) in self.answers.items()},
            lgas={k: (c, s) for k, (c, s) in self.lgas.items()},
        )

    def add_to(self, session: Session) -> None:
        """Add these counts to the stored rollups (which must not hold these combinations)."""
        names = ("survey_id", "week", "state_code", "age_band", "income_band", "gender")
        rows = [
            {"id": uuid.uuid4(), **dict(zip(names, k, strict=True)), "count": c, "key_sum": s}
            for k, (c, s) in self.answers.items()
        ]
        lga_names = ("survey_id", "week", "state_code", "lga_code")
        lga_rows = [
            {"id": uuid.uuid4(), **dict(zip(lga_names, k, strict=True)), "count": c, "key_sum": s}
            for k, (c, s) in self.lgas.items()
        ]
        for model, items in ((AnswerRollup, rows), (LgaRollup, lga_rows)):
            for start in range(0, len(items), 5000):
                session.execute(insert(model), items[start : start + 5000])
        session.flush()


def recount(session: Session) -> Recount:
    """Count every response afresh: what the rollups must equal."""
    tally = Tally()
    for response in _all_responses(session):
        tally.add(response)
    return tally.result()


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


def _all_responses(session: Session) -> Iterable[Any]:
    """Just the columns the rollups need, streamed: no ORM objects for a million rows."""
    r = Response
    columns = (r.survey_id, r.submitted_on, r.record_key, r.state_code, r.lga_code)
    columns += (r.age_band, r.income_band, r.gender)
    return session.execute(select(*columns).execution_options(yield_per=10000))


def rebuild(session: Session) -> int:
    """Replace every rollup by a recount of the raw answers; returns the responses counted."""
    tally = Tally()
    for response in _all_responses(session):
        tally.add(response)
    session.execute(delete(AnswerRollup))
    session.execute(delete(LgaRollup))
    tally.add_to(session)
    return sum(c for c, _ in tally.answers.values())


def total_responses(session: Session, survey_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(AnswerRollup.count), 0)).where(
                AnswerRollup.survey_id == survey_id
            )
        )
        or 0
    )
