"""Helpers for the dashboard tests: answers in past weeks, releases, staff sign-in, reports.

The dashboard shows only weeks that have ended and been released, so answers here are given
dates in earlier weeks (``week_day(n)`` is a day ``n`` whole weeks before the current week),
and tests call :func:`release` (what ``flask dashboard release`` does) before reading.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from surveys import clock
from surveys.extensions import db
from surveys.models import Survey
from surveys.services import answers as answer_service
from surveys.services import catalogue, staff
from surveys.services.reporting import privacy
from surveys.services.reporting import release as releasing
from surveys.services.reporting import report as reports
from surveys.services.respondents import respondent_hash
from tests.conftest import settle_now

PASSWORD = "a long enough pass phrase"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(page) -> str:  # type: ignore[no-untyped-def]
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


def week_day(weeks_ago: int, weekday: int = 2) -> date:
    """A day (Wednesday by default) in the week ``weeks_ago`` complete weeks back (1 = last)."""
    monday = releasing.week_of(clock.today()) - timedelta(weeks=weeks_ago)
    return monday + timedelta(days=weekday)


def week_start(weeks_ago: int) -> str:
    return (releasing.week_of(clock.today()) - timedelta(weeks=weeks_ago)).isoformat()


#: A budget so large that the noise is always zero (discrete Gaussian of scale 0.0007): the
#: post-processing can be checked number by number. Never a real setting.
EXACT = {"DASHBOARD_RHO": 1e6, "DASHBOARD_EVENT_RHO": 1e6, "DASHBOARD_CONSENT_RHO": 1e6}


def release(app: Flask, today: date | None = None) -> list[date]:
    """Settle what visits wrote to the journal, then release every closed week, as the
    nightly ``flask answers settle`` does."""
    settle_now(app)
    with app.app_context():
        weeks = releasing.release_due_weeks(db.session, today or clock.today())
        db.session.commit()
    return weeks


def make_respond(app: Flask) -> Callable[..., list[str]]:
    """Save answers through the same service the survey form uses, then run the nightly
    settle that turns them into rows (without releasing: see :func:`release`); returns
    respondent hashes."""

    def add(slug: str, answers: dict[str, str | None], *, day: date | None = None, times: int = 1):
        hashes = []
        with app.app_context():
            survey = catalogue.find(db.session, slug)
            full = {key: answers.get(key) for key in survey.questions}
            for _ in range(times):
                who = respondent_hash(secrets.token_urlsafe(32))
                answer_service.save_answers(db.session, survey, who, full, day or week_day(1))
                hashes.append(who)
            db.session.commit()
        settle_now(app)
        return hashes

    return add


def population(app: Flask, slug: str, rows: list[tuple[dict[str, str | None], int]], **kw):
    """Many answers at once: [(answers, how many)]."""
    add = make_respond(app)
    for answers, times in rows:
        add(slug, answers, times=times, **kw)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/dashboard/login"))
    return client.post(
        "/dashboard/login", data={"csrf_token": token, "email": email, "password": password}
    )


def report_for(
    app: Flask, slug: str = "about-you", keys: set[str] | None = None, **filters: str | None
) -> reports.Report:
    """The report the dashboard would show for these filters (from the stored release)."""
    with app.app_context():
        survey = db.session.scalars(select(Survey).where(Survey.slug == slug)).one()
        released = reports.released_weeks(db.session, survey.id)
        view = reports.make_view(survey, clock.today(), released, **filters)
        result = reports.build_report(
            db.session, view, min_cell=app.config["DASHBOARD_MIN_CELL"], keys=keys
        )
        db.session.expunge_all()
        return result


def budget_of(app: Flask) -> privacy.Budget:
    return privacy.Budget.from_config(app.config)


def make_staff_in(app: Flask, role: str, email: str | None = None) -> str:
    email = email or f"{role}-{secrets.token_hex(3)}@example.com"
    with app.app_context():
        staff.create(db.session, email, role, PASSWORD, clock.now())
        db.session.commit()
    return email
