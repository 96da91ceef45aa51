"""Simultaneous writes from the same browser or on the same day lose nothing and fail nothing."""

import threading
from datetime import date

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Dismissal, Response, Survey
from surveys.services import answers, funnel
from surveys.services.respondents import new_key, respondent_hash
from tests.conftest import settle_now

THREADS = 6


def _run_together(app, work):
    """Run ``work(session, survey)`` in several threads released at the same moment."""
    barrier = threading.Barrier(THREADS)
    errors = []

    def run():
        with app.app_context():
            survey = db.session.scalars(select(Survey).where(Survey.slug == "about-you")).one()
            db.session.commit()
            barrier.wait()
            try:
                work(db.session, survey)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_the_same_browser_submitting_at_once_leaves_one_response(app):
    same_browser = respondent_hash(new_key())
    errors = _run_together(
        app,
        lambda session, survey: answers.save_answers(
            session, survey, same_browser, {"gender": "female"}, date.today()
        ),
    )
    assert errors == []
    settle_now(app)
    with app.app_context():
        rows = list(db.session.scalars(select(Response)))
    assert [(row.respondent_hash, row.gender) for row in rows] == [(same_browser, "female")]


def test_the_first_counts_of_a_day_made_at_once_are_all_kept(app):
    errors = _run_together(
        app, lambda session, survey: funnel.record(session, survey, funnel.SHOWN, date.today())
    )
    assert errors == []
    settle_now(app)
    with app.app_context():
        survey = db.session.scalars(select(Survey).where(Survey.slug == "about-you")).one()
        assert funnel.totals(db.session, survey)["shown"] == THREADS


def test_not_now_tapped_twice_at_once_is_remembered_once(app):
    same_browser = respondent_hash(new_key())
    errors = _run_together(
        app,
        lambda session, survey: answers.dismiss(session, survey, same_browser, date.today(), 30),
    )
    assert errors == []
    settle_now(app)
    with app.app_context():
        assert len(list(db.session.scalars(select(Dismissal)))) == 1
