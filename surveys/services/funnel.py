"""Anonymous daily counters of what happens to a survey, for the dashboard's funnel.

A visit adds its count to its journal entry (the same entry as its answers, if it gives
any), never to a counter row: a counter that one request had just bumped would say what that
request did and when. The nightly settle adds each day's counts to the counters.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import FunnelCount, Survey
from surveys.services.answers import journal, writing

SHOWN = "shown"
STARTED = "started"
COMPLETED = "completed"
NOT_NOW = "not_now"
EVENTS = (SHOWN, STARTED, COMPLETED, NOT_NOW)


def record(
    session: Session,
    survey: Survey,
    event: str,
    day: date,
    respondent_hash: str | None = None,
) -> None:
    """Count one ``event`` for ``day``. With ``respondent_hash`` the count joins that
    browser's entry for this visit; without, an entry of the visit's own (no browser)."""
    if event not in EVENTS:
        raise ValueError(f"unknown funnel event {event!r}")
    if respondent_hash is not None:
        writing.draft(session, respondent_hash, day).count(survey, event)
    else:
        journal.funnel_draft(session, day).count(survey, event)


def totals(session: Session, survey: Survey) -> dict[str, int]:
    """The settled counters of ``survey`` (the dashboard's view: days the settle has done)."""
    rows = session.execute(
        select(FunnelCount.event, FunnelCount.count).where(FunnelCount.survey_id == survey.id)
    )
    result = dict.fromkeys(EVENTS, 0)
    for event, count in rows:
        result[event] += count
    return result
