"""Helpers for the dashboard tests: answers in past weeks, staff sign-in, reports.

The dashboard shows only weeks that have ended, so answers here are given dates in earlier
weeks (``week_day(n)`` is a day ``n`` whole weeks before the current week).
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from surveys import clock
from surveys.extensions import db
from surveys.models import Response, Survey
from surveys.services import answers as answer_service
from surveys.services import catalogue, reports, rollups, staff
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
    monday = rollups.week_of(clock.today()) - timedelta(weeks=weeks_ago)
    return monday + timedelta(days=weekday)


def week_start(weeks_ago: int) -> str:
    return (rollups.week_of(clock.today()) - timedelta(weeks=weeks_ago)).isoformat()


def make_respond(app: Flask) -> Callable[..., list[str]]:
    """Save answers through the same service the survey form uses, then run the nightly
    settle that turns them into rows and rollups; returns respondent hashes."""

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


def report_for(app: Flask, slug: str = "about-you", **filters: str | None) -> reports.Report:
    """The protected report the dashboard would show for these filters."""
    with app.app_context():
        survey = db.session.scalars(select(Survey).where(Survey.slug == slug)).one()
        view = reports.make_view(survey, clock.today(), **filters)
        config = app.config
        result = reports.build_report(
            db.session,
            view,
            min_cell=config["DASHBOARD_MIN_CELL"],
            epsilon=config["DASHBOARD_NOISE_EPSILON"],
            secret=config["SECRET_KEY"],
        )
        db.session.expunge_all()
        return result


def redraw_record_keys(app: Flask, rng: random.Random) -> None:
    """Fresh random record keys for every response, as if the data were collected again."""
    with app.app_context():
        ids = db.session.scalars(select(Response.id).order_by(Response.id)).all()
        db.session.execute(
            update(Response), [{"id": i, "record_key": rng.randrange(2**31)} for i in ids]
        )
        rollups.rebuild(db.session)
        db.session.commit()


def make_staff_in(app: Flask, role: str, email: str | None = None) -> str:
    email = email or f"{role}-{secrets.token_hex(3)}@example.com"
    with app.app_context():
        staff.create(db.session, email, role, PASSWORD, clock.now())
        db.session.commit()
    return email
