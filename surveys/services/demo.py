"""Realistic synthetic answers for trying the dashboard and for benchmarks.

States are weighted by population (2022 projections by the National Population Commission,
in millions), age and income follow a plausible online-shopper mix, and a few answers are
skipped or "Prefer not to say", as real ones are. The dashboard sees them only once their
weeks are released (``flask demo seed`` releases the weeks that have ended).

Synthetic rows are written straight into the clear tables (real answers only ever reach them
through the journal and the nightly settle), in a random order: each row's day is drawn at
random and every batch is shuffled again before it is inserted, so where a row lands says
nothing about its day.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import FunnelCount, Response, Survey
from surveys.services import funnel

#: Millions of people per state (NPC 2022 projections, rounded).
STATE_POPULATION = {
    "NG-AB": 4.1, "NG-AD": 4.9, "NG-AK": 5.5, "NG-AN": 6.0, "NG-BA": 8.3, "NG-BY": 2.5,
    "NG-BE": 6.1, "NG-BO": 6.1, "NG-CR": 4.5, "NG-DE": 6.0, "NG-EB": 3.0, "NG-ED": 4.8,
    "NG-EK": 3.6, "NG-EN": 4.7, "NG-FC": 3.1, "NG-GO": 3.7, "NG-IM": 5.5, "NG-JI": 7.5,
    "NG-KD": 9.0, "NG-KN": 15.5, "NG-KT": 10.4, "NG-KE": 5.6, "NG-KO": 4.7, "NG-KW": 3.6,
    "NG-LA": 15.4, "NG-NA": 2.9, "NG-NI": 6.8, "NG-OG": 6.4, "NG-ON": 5.3, "NG-OS": 5.0,
    "NG-OY": 8.0, "NG-PL": 4.7, "NG-RI": 8.5, "NG-SO": 6.4, "NG-TA": 3.3, "NG-YO": 3.6,
    "NG-ZA": 5.3,
}  # fmt: skip
#: Online shoppers skew young.
AGE_WEIGHTS = {
    "age_18_24": 26, "age_25_34": 34, "age_35_44": 20, "age_45_54": 11, "age_55_64": 6,
    "age_65_plus": 3,
}  # fmt: skip
INCOME_WEIGHTS = {
    "income_below_70k": 30, "income_70k_150k": 28, "income_150k_300k": 20,
    "income_300k_600k": 12, "income_600k_1m": 6, "income_1m_plus": 4,
}  # fmt: skip
GENDER_WEIGHTS = {"female": 48, "male": 50, "another_gender": 2}
PREFER_NOT = reference.PREFER_NOT_TO_SAY
#: Not the seeded generator: the insertion order must not follow from the seed either.
_shuffle = secrets.SystemRandom().shuffle


def _pick(
    rng: random.Random, weights: dict[str, float], skip: float, prefer_not: float
) -> str | None:
    roll = rng.random()
    if roll < skip:
        return None
    if roll < skip + prefer_not:
        return PREFER_NOT
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@cache
def _lga_weights(state: str | None) -> dict[str, float]:
    """Cities draw more shoppers: a random handful of each state's LGAs weigh more, the same
    handful every run (seeded by the state code)."""
    # Synthetic demo data, not security: a seeded generator is the point.
    local = random.Random(state)  # noqa: S311  # nosec B311
    return {code: local.choice((1, 1, 1, 3, 8)) for code in reference.lga_choices(state)}


def fake_answers(rng: random.Random, questions: list[str]) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    state = _pick(rng, STATE_POPULATION, 0.02, 0.03)
    if "state" in questions:
        answers["state"] = state
    if "lga" in questions:
        weights = _lga_weights(state)
        answers["lga"] = _pick(rng, weights, 0.05, 0.05) if weights else None
    if "age_band" in questions:
        answers["age_band"] = _pick(rng, AGE_WEIGHTS, 0.03, 0.04)
    if "income_band" in questions:
        answers["income_band"] = _pick(rng, INCOME_WEIGHTS, 0.06, 0.12)
    if "gender" in questions:
        answers["gender"] = _pick(rng, GENDER_WEIGHTS, 0.02, 0.03)
    return answers


def seed(
    session: Session,
    surveys: list[Survey],
    responses: int,
    today: date,
    *,
    weeks: int = 26,
    seed_value: int | None = None,
    progress: Callable[[int], None] = lambda done: None,
    batch: int = 5000,
) -> int:
    """Add ``responses`` synthetic responses, spread over the last ``weeks`` weeks.

    The bulk of them go to the first survey; the rest to the others.
    """
    if responses < 0:
        raise ValueError("responses must be zero or more")
    if not surveys:
        raise ValueError("there are no surveys to answer; run `flask surveys load-defaults`")
    # Synthetic demo data, not security: a seeded generator is the point.
    rng = random.Random(seed_value)  # noqa: S311  # nosec B311
    first_day = today - timedelta(weeks=weeks)
    span = (today - first_day).days
    rows = []
    done = 0
    for _ in range(responses):
        survey = surveys[0] if rng.random() < 0.8 or len(surveys) == 1 else rng.choice(surveys[1:])
        answers = fake_answers(rng, survey.questions)
        # Growth: more answers in recent weeks.
        day = first_day + timedelta(days=int(span * (rng.random() ** 0.7)))
        row = {
            "id": uuid.uuid4(),
            "survey_id": survey.id,
            # Not a real browser's key: a random value hashed, like one.
            "respondent_hash": hashlib.sha256(rng.randbytes(32)).hexdigest(),
            "state_code": answers.get("state"),
            "lga_code": answers.get("lga"),
            "age_band": answers.get("age_band"),
            "income_band": answers.get("income_band"),
            "gender": answers.get("gender"),
            "submitted_on": day,
            "updated_on": day,
        }
        rows.append(row)
        if len(rows) >= batch:
            _shuffle(rows)
            session.execute(insert(Response), rows)
            done += len(rows)
            progress(len(rows))
            rows = []
    if rows:
        _shuffle(rows)
        session.execute(insert(Response), rows)
        done += len(rows)
        progress(len(rows))
    return done


#: Funnel events per completed survey: about three showings, 1.2 starts and 0.6 "Not now"s.
FUNNEL_PER_COMPLETION = {funnel.SHOWN: 3.0, funnel.STARTED: 1.2, funnel.NOT_NOW: 0.6}


def seed_funnel(session: Session, today: date, weeks: int) -> int:
    """Funnel counters that agree with the answers: over the last ``weeks`` weeks, each
    survey's completions on a day are its responses of that day, with more starts and showings
    than completions (:data:`FUNNEL_PER_COMPLETION`). Replaces the counters of those days;
    returns how many completions it counted."""
    first_day = today - timedelta(weeks=weeks)
    per_day = session.execute(
        select(Response.survey_id, Response.submitted_on, func.count())
        .where(Response.submitted_on.between(first_day, today))
        .group_by(Response.survey_id, Response.submitted_on)
    ).all()
    rows = []
    for survey_id, day, completed in per_day:
        counts = {funnel.COMPLETED: completed}
        counts |= {
            event: round(completed * factor) for event, factor in FUNNEL_PER_COMPLETION.items()
        }
        # Never fewer starts than completions, however the rounding falls.
        counts[funnel.STARTED] = max(counts[funnel.STARTED], completed)
        counts[funnel.SHOWN] = max(counts[funnel.SHOWN], counts[funnel.STARTED])
        rows += [
            {"id": uuid.uuid4(), "survey_id": survey_id, "day": day, "event": e, "count": n}
            for e, n in counts.items()
        ]
    session.execute(delete(FunnelCount).where(FunnelCount.day.between(first_day, today)))
    if rows:
        session.execute(insert(FunnelCount), rows)
    return sum(completed for _, _, completed in per_day)
