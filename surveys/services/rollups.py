"""Rollups: counts of responses by survey, ISO week and dashboard cell.

The dashboard reads these instead of the responses, so its cost depends on how many cells a
chart has, not on how many people answered. Each response is counted, at each of three levels
(all of Nigeria, its zone, its state), in the "total" cell, in one cell per question (age band,
income band, gender) and one per pair of those questions; and, at state level, in its LGA's
cell. Any view of any survey then reads at most a few hundred rows per week.

They change only at the nightly settle (:mod:`surveys.services.answers.settle`), in the same
transaction as the clear answers, never per request (a cell one visit had just changed
would point at that visit's answers); they can be checked and rebuilt from the raw answers
with ``flask dashboard check-rollups`` / ``rebuild-rollups``.

A response counts in the ISO week (Monday to Sunday, UTC) in which it was *first submitted*;
changing one's answers later moves it between cells but never between weeks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import Response, RollupCell
from surveys.models.answers import SKIPPED

log = logging.getLogger("surveys.rollups")

ALL, ZONE, STATE = "all", "zone", "state"
TOTAL = "total"
#: The questions counted one by one, and in pairs, at every level.
SINGLES = ("age_band", "income_band", "gender")
PAIRS = (("age_band", "income_band"), ("age_band", "gender"), ("income_band", "gender"))
LGA = "lga"

#: (level, area, question, answer_a, answer_b): one cell of the dashboard's tables.
CellKey = tuple[str, str, str, str, str]


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def pair_name(first: str, second: str) -> str:
    return f"{first}+{second}"


@cache
def zone_of(state: str) -> str:
    """A state's zone; "prefer_not_to_say" and "skipped" stay what they are."""
    found = reference.geography().states.get(state)
    return found.zone if found else state


def cells_of(answers: dict[str, str]) -> list[CellKey]:
    """Every cell one response counts in, given its answers (skipped ones as "skipped")."""
    state = answers["state"]
    areas = ((ALL, ""), (ZONE, zone_of(state)), (STATE, state))
    result: list[CellKey] = []
    for level, area in areas:
        result.append((level, area, TOTAL, "", ""))
        for question in SINGLES:
            result.append((level, area, question, answers[question], ""))
        for first, second in PAIRS:
            result.append((level, area, pair_name(first, second), answers[first], answers[second]))
    result.append((STATE, state, LGA, answers["lga"], ""))
    return result


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one response adds to the rollups."""

    survey_id: uuid.UUID
    week: date
    cells: tuple[CellKey, ...]
    record_key: int


def _answers_of(row: Any) -> dict[str, str]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return {
        "state": get("state_code") or SKIPPED,
        "lga": get("lga_code") or SKIPPED,
        "age_band": get("age_band") or SKIPPED,
        "income_band": get("income_band") or SKIPPED,
        "gender": get("gender") or SKIPPED,
    }


def contribution(response: Any) -> Contribution:
    """From a :class:`Response`, a row of its columns, or a dict of them."""
    get = response.get if isinstance(response, dict) else lambda n: getattr(response, n)
    return Contribution(
        survey_id=get("survey_id"),
        week=week_of(get("submitted_on")),
        cells=tuple(cells_of(_answers_of(response))),
        record_key=get("record_key"),
    )


_COLUMNS = ("level", "area", "question", "answer_a", "answer_b")


def apply_batch(
    connection: Connection,
    out: Iterable[Contribution],
    into: Iterable[Contribution],
    shuffle: Callable[[list[Any]], None],
) -> tuple[int, int]:
    """Take the settle's ``out`` contributions out of the rollups and put ``into`` in.

    Every cell of each (survey, week) the batch touches is deleted and written again, with
    fresh ids and in the order ``shuffle`` leaves them, so that which cells changed and in
    what order says nothing about the rows behind them. Returns (cells written, deleted).
    """
    deltas: dict[tuple[Any, ...], list[int]] = {}
    for sign, items in ((-1, out), (1, into)):
        for item in items:
            for cell in item.cells:
                delta = deltas.setdefault((item.survey_id, item.week, *cell), [0, 0])
                delta[0] += sign
                delta[1] += sign * item.record_key
    if not deltas:
        return 0, 0
    table = RollupCell.__table__
    cells: dict[tuple[Any, ...], list[int]] = {}
    deleted = 0
    weeks: dict[Any, set[date]] = {}
    for survey_id, week, *_ in deltas:
        weeks.setdefault(survey_id, set()).add(week)
    # One pass per survey (the cells' index leads with the survey, not the week).
    for survey_id, touched in weeks.items():
        where = (table.c.survey_id == survey_id) & table.c.week.in_(sorted(touched))
        columns = [table.c[name] for name in ("week", *_COLUMNS, "count", "key_sum")]
        for row in connection.execute(select(*columns).where(where)):
            cells[(survey_id, *row[:-2])] = [row[-2], int(row[-1])]
        deleted += connection.execute(delete(table).where(where)).rowcount
    for key, (count, key_sum) in deltas.items():
        cell = cells.setdefault(key, [0, 0])
        cell[0] += count
        cell[1] += key_sum
    if any(count < 0 for count, _ in cells.values()):
        # Never block the settle over this; `flask dashboard rebuild-rollups` repairs it.
        log.warning("rollup out of step")
    names = ("survey_id", "week", *_COLUMNS)
    rows = [
        {"id": uuid.uuid4(), **dict(zip(names, key, strict=True)), "count": c, "key_sum": s}
        for key, (c, s) in cells.items()
        if c > 0
    ]
    shuffle(rows)
    for start in range(0, len(rows), 5000):
        connection.execute(insert(table), rows[start : start + 5000])
    return len(rows), deleted


# --- recounting from the raw answers, and bulk loads ---------------------------------------

#: (survey, week, level, area, question, answer_a, answer_b) -> (count, key sum)
Counts = dict[tuple[Any, ...], tuple[int, int]]


class Tally:
    """Rollup counts kept in memory, for recounts and bulk loads."""

    def __init__(self) -> None:
        self.cells: dict[tuple[Any, ...], list[int]] = {}

    def add(self, row: Any) -> None:
        item = contribution(row)
        for cell in item.cells:
            counted = self.cells.setdefault((item.survey_id, item.week, *cell), [0, 0])
            counted[0] += 1
            counted[1] += item.record_key

    def result(self) -> Counts:
        return {key: (count, key_sum) for key, (count, key_sum) in self.cells.items()}

    def add_to(self, session: Session) -> None:
        """Insert these counts as rollup rows (the rollups must not hold them yet)."""
        names = ("survey_id", "week", *_COLUMNS)
        rows = [
            {"id": uuid.uuid4(), **dict(zip(names, key, strict=True)), "count": c, "key_sum": s}
            for key, (c, s) in self.cells.items()
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(RollupCell), rows[start : start + 5000])
        session.flush()


def _all_responses(session: Session) -> Iterable[Any]:
    """Just the columns the rollups need, streamed: no ORM objects for a million rows."""
    r = Response
    columns = (r.survey_id, r.submitted_on, r.record_key, r.state_code, r.lga_code)
    columns += (r.age_band, r.income_band, r.gender)
    return session.execute(select(*columns).execution_options(yield_per=10000))


def recount(session: Session) -> Counts:
    """Count every response afresh: what the rollups must equal."""
    tally = Tally()
    for row in _all_responses(session):
        tally.add(row)
    return tally.result()


def stored(session: Session) -> Counts:
    """The rollups as stored, in the same shape as :func:`recount`."""
    return {
        (r.survey_id, r.week, r.level, r.area, r.question, r.answer_a, r.answer_b): (
            r.count,
            int(r.key_sum),
        )
        for r in session.scalars(select(RollupCell))
    }


def rebuild(session: Session) -> int:
    """Replace every rollup by a recount of the raw answers; returns the responses counted."""
    tally = Tally()
    counted = 0
    for row in _all_responses(session):
        tally.add(row)
        counted += 1
    session.execute(delete(RollupCell))
    tally.add_to(session)
    return counted


def total_responses(session: Session, survey_id: uuid.UUID) -> int:
    """All responses to a survey so far (a hundred-odd rows: one per week)."""
    r = RollupCell
    return int(
        session.scalar(
            select(func.coalesce(func.sum(r.count), 0)).where(
                r.survey_id == survey_id, r.level == ALL, r.question == TOTAL
            )
        )
        or 0
    )
