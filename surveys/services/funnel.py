"""Anonymous daily counters of what happens to a survey, for the dashboard's funnel."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.models import FunnelCount, Survey

SHOWN = "shown"
STARTED = "started"
COMPLETED = "completed"
NOT_NOW = "not_now"
EVENTS = (SHOWN, STARTED, COMPLETED, NOT_NOW)


def record(session: Session, survey: Survey, event: str, day: date) -> None:
    """Add one to today's counter for ``event``; no respondent is attached."""
    if event not in EVENTS:
        raise ValueError(f"unknown funnel event {event!r}")
    if _bump(session, survey, event, day):
        return
    try:
        with session.begin_nested():
            session.add(FunnelCount(survey_id=survey.id, day=day, event=event, count=1))
    except IntegrityError:
        # Another request made today's row first; count on it instead.
        _bump(session, survey, event, day)


def _bump(session: Session, survey: Survey, event: str, day: date) -> bool:
    result = session.execute(
        update(FunnelCount)
        .where(
            FunnelCount.survey_id == survey.id,
            FunnelCount.day == day,
            FunnelCount.event == event,
        )
        .values(count=FunnelCount.count + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def totals(session: Session, survey: Survey) -> dict[str, int]:
    rows = session.execute(
        select(FunnelCount.event, FunnelCount.count).where(FunnelCount.survey_id == survey.id)
    )
    result = dict.fromkeys(EVENTS, 0)
    for event, count in rows:
        result[event] += count
    return result
