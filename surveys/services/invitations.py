"""Which survey, if any, the shop's invitation snippet offers a browser.

The rules only: which survey is open and not yet answered or put off. How often one browser is
invited at all is kept by the browser itself (the ``invited`` cookie, see the view), never here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import Survey
from surveys.services.answers import browser_state


def survey_to_invite(session: Session, respondent_hash: str | None, today: date) -> Survey | None:
    """The first open survey (by title) this browser has neither answered nor said "Not now"
    to in the last ``NOT_NOW_DAYS``; None when there is no such survey."""
    surveys = [
        s for s in session.scalars(select(Survey).order_by(Survey.title)) if s.is_open(today)
    ]
    if respondent_hash is None or not surveys:
        return surveys[0] if surveys else None
    state = browser_state(session, respondent_hash)
    put_off = {survey_id for survey_id, until in state.dismissals.items() if until > today}
    return next((s for s in surveys if s.id not in state.responses and s.id not in put_off), None)
