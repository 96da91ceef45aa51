"""Releasing a closed week: count the settled answers, add noise once, store, never again.

:func:`release_due_weeks` is the only code that reads answers for the dashboard. For every
survey and every ISO week (Monday to Sunday, UTC) that has ended and has no release yet, it
counts that week's responses into the survey's fixed tables, adds OpenDP's noise, and stores
the noisy vectors; likewise the funnel counters and the week's consent choices. Everything the
dashboard shows is then worked out from these stored vectors alone.

- A response counts in the week it was first submitted (``submitted_on``), whatever happens
  to it later: a change or deletion after its week was released does not produce a new noisy
  copy of that week (that would hand out fresh noise to average, or a before/after to
  subtract). Erasure is honoured in the answers store; the release is not personal data.
- Idempotent: a week already released is left alone, and two jobs running at once cannot
  both release it (a unique key on scope and week).
- Which weeks exist depends on public facts only: from the survey's opening week (or, for a
  survey without an opening date, the week its first answer came in) to the last week that
  has ended.

Callers commit: run ``flask dashboard release`` daily after midnight UTC (or the answers
store's nightly job calls :func:`release_due_weeks` once it has settled a week's last day).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import ConsentRecord, FunnelCount, Release, ReleaseTable, Response, Survey
from surveys.models.answers import SKIPPED
from surveys.models.releases import CONSENT, SURVEY
from surveys.services.reporting import privacy, tables
from surveys.services.reporting.privacy import Budget

log = logging.getLogger("surveys.reporting")

PREFER_NOT = reference.PREFER_NOT_TO_SAY
#: Mixed-radix record codes: (state, LGA within the state, age, income, gender) -> one int.
_LGA_RADIX = 64
_QUESTION_ORDER = ("age_band", "income_band", "gender")


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def last_closed_week(today: date) -> date:
    """The newest week that has ended before ``today`` (the current one is still open)."""
    return week_of(today) - timedelta(weeks=1)


# --- record codes: a response as one integer, from the public lists only --------------------


@cache
def _radices() -> tuple[list[str], dict[str, list[str]], list[list[str]]]:
    states = list(tables.categories("state"))
    lgas = {s: list(tables.lga_categories(s)) for s in reference.state_choices()}
    for s in (PREFER_NOT, SKIPPED):
        lgas[s] = [PREFER_NOT, SKIPPED]
    if max(len(v) for v in lgas.values()) > _LGA_RADIX:
        raise RuntimeError("a state has more LGAs than the record code has room for")
    answers = [list(tables.categories(q)) for q in _QUESTION_ORDER]
    return states, lgas, answers


def encode(row: tables.Row) -> int:
    states, lgas, answers = _radices()
    state = row["state"] if row["state"] in lgas else SKIPPED
    lga_list = lgas[state]
    code = states.index(state) * _LGA_RADIX + (
        lga_list.index(row["lga"]) if row["lga"] in lga_list else lga_list.index(SKIPPED)
    )
    for question, codes in zip(_QUESTION_ORDER, answers, strict=True):
        value = row[question]
        code = code * len(codes) + (codes.index(value) if value in codes else codes.index(SKIPPED))
    return code


def decode(code: int) -> dict[str, str]:
    states, lgas, answers = _radices()
    values: list[str] = []
    for codes in reversed(answers):
        code, position = divmod(code, len(codes))
        values.append(codes[position])
    state_index, lga_index = divmod(code, _LGA_RADIX)
    state = states[state_index]
    row = dict(zip(_QUESTION_ORDER, reversed(values), strict=True))
    return {"state": state, "lga": lgas[state][lga_index], **row}


# --- what is due ------------------------------------------------------------------------------


def _first_week(session: Session, survey: Survey) -> date | None:
    if survey.opens_on is not None:
        return week_of(survey.opens_on)
    first = session.scalar(
        select(func.min(Response.submitted_on)).where(Response.survey_id == survey.id)
    )
    return week_of(first) if first is not None else None


def _released(session: Session, scope: str) -> set[date]:
    return set(session.scalars(select(Release.week).where(Release.scope == scope)))


def _weeks(first: date, last: date) -> list[date]:
    count = (last - first).days // 7 + 1
    return [first + timedelta(weeks=n) for n in range(max(0, count))]


def release_due_weeks(session: Session, today: date, budget: Budget | None = None) -> list[date]:
    """Release every closed week not released yet, for every survey and for consent.

    Returns the weeks (Mondays) that got at least one new release, oldest first. Flushes;
    the caller commits.
    """
    if budget is None:
        budget = Budget.from_config(current_app.config) if has_app_context() else Budget()
    last = last_closed_week(today)
    done: set[date] = set()
    for survey in session.scalars(select(Survey).order_by(Survey.slug)):
        first = _first_week(session, survey)
        if first is None:
            continue
        taken = _released(session, str(survey.id))
        for week in _weeks(first, last):
            if week not in taken and release_survey_week(session, survey, week, today, budget):
                done.add(week)
    consent_first = _first_consent_week(session)
    if consent_first is not None:
        taken = _released(session, CONSENT)
        for week in _weeks(consent_first, last):
            if week not in taken and release_consent_week(session, week, today, budget):
                done.add(week)
    return sorted(done)


def _store(session: Session, release: Release, rows: Iterable[ReleaseTable]) -> bool:
    """Add a release atomically; False if another job released the same week first."""
    release.tables.extend(rows)
    try:
        with session.begin_nested():
            session.add(release)
    except IntegrityError:
        log.info("week already released", extra={"fields": {"week": release.week.isoformat()}})
        return False
    return True


# --- a survey's week --------------------------------------------------------------------------


def _codes(session: Session, survey: Survey, week: date) -> list[int]:
    r = Response
    columns = (r.state_code, r.lga_code, r.age_band, r.income_band, r.gender)
    query = select(*columns).where(
        r.survey_id == survey.id, r.submitted_on.between(week, week + timedelta(days=6))
    )
    return [encode(tables.row_of(row._mapping)) for row in session.execute(query)]


def _funnel(session: Session, survey: Survey, week: date) -> list[int]:
    f = FunnelCount
    rows = session.execute(
        select(f.event, func.sum(f.count))
        .where(f.survey_id == survey.id, f.day.between(week, week + timedelta(days=6)))
        .group_by(f.event)
    )
    counts = {event: int(total) for event, total in rows}
    return [counts.get(event, 0) for event in tables.FUNNEL_EVENTS]


def release_survey_week(
    session: Session, survey: Survey, week: date, today: date, budget: Budget
) -> bool:
    """Release one survey's week (the caller checked it is closed and not yet released)."""
    if week > last_closed_week(today):
        raise ValueError("only weeks that have ended can be released")
    layouts = tables.layouts_for(survey.questions)
    measured = privacy.measure(layouts, privacy.split(layouts, budget.rho), budget.rho, decode)
    vectors = measured.run(_codes(session, survey, week))
    rows = [
        ReleaseTable(
            table_key=layout.name,
            layout=layout.fingerprint,
            sigma=sigma,
            rho=rho,
            unit="response",
            counts=vector,
        )
        for layout, sigma, rho, vector in zip(
            measured.layouts, measured.sigmas, measured.rhos, vectors, strict=True
        )
    ]
    funnel_sigma = (1 / (2 * budget.event_rho)) ** 0.5
    noisy, event_rho = privacy.noisy_counters(_funnel(session, survey, week), funnel_sigma)
    rows.append(
        ReleaseTable(
            table_key=tables.FUNNEL.name,
            layout=tables.FUNNEL.fingerprint,
            sigma=funnel_sigma,
            rho=event_rho,
            unit="event",
            counts=noisy,
        )
    )
    release = Release(
        kind=SURVEY,
        survey_id=survey.id,
        scope=str(survey.id),
        week=week,
        released_on=today,
        rho=measured.rho,
    )
    return _store(session, release, rows)


# --- the week's consent choices ---------------------------------------------------------------


def _first_consent_week(session: Session) -> date | None:
    first = session.scalar(select(func.min(ConsentRecord.given_at)))
    return week_of(first.date()) if first is not None else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def consent_code(status: str, attributes: Sequence[str]) -> int:
    """A subject's newest choice in a week as a code: bit 0 "given", bits 1.. the attributes."""
    from surveys.questions import QUESTION_KEYS

    code = 1 if status == tables.GIVEN else 0
    for n, key in enumerate(QUESTION_KEYS):
        if status == tables.GIVEN and key in attributes:
            code |= 2 << n
    return code


def decode_consent(code: int) -> dict[str, str]:
    """The consent tables' view of a code: its status, and each attribute allowed or not."""
    from surveys.questions import QUESTION_KEYS

    row = {"status": tables.GIVEN if code & 1 else tables.WITHDRAWN}
    for n, key in enumerate(QUESTION_KEYS):
        row[key] = tables.ALLOWED if code & (2 << n) else tables.NOT_ALLOWED
    return row


def _consent_codes(session: Session, week: date) -> list[int]:
    """One code per subject who made a consent choice this week: their newest that week."""
    c = ConsentRecord
    newest: dict[str, tuple[datetime, int]] = {}
    query = select(c.subject, c.given_at, c.status, c.attributes).where(
        c.given_at >= _start_of(week), c.given_at < _start_of(week + timedelta(weeks=1))
    )
    for subject, given_at, status, attributes in session.execute(query):
        seen = newest.get(subject)
        if seen is None or given_at >= seen[0]:
            newest[subject] = (given_at, consent_code(status, attributes or []))
    return [code for _, code in newest.values()]


def release_consent_week(session: Session, week: date, today: date, budget: Budget) -> bool:
    if week > last_closed_week(today):
        raise ValueError("only weeks that have ended can be released")
    layouts = tables.consent_layouts()
    measured = privacy.measure(
        layouts,
        privacy.equal_split(layouts, budget.consent_rho),
        budget.consent_rho,
        decode_consent,
    )
    vectors = measured.run(_consent_codes(session, week))
    rows = [
        ReleaseTable(
            table_key=layout.name,
            layout=layout.fingerprint,
            sigma=sigma,
            rho=rho,
            unit="subject",
            counts=vector,
        )
        for layout, sigma, rho, vector in zip(
            measured.layouts, measured.sigmas, measured.rhos, vectors, strict=True
        )
    ]
    release = Release(
        kind=CONSENT, survey_id=None, scope=CONSENT, week=week, released_on=today, rho=measured.rho
    )
    return _store(session, release, rows)
