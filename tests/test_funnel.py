"""The survey funnel is counted per day with no respondent attached: a visit's counts go into
its journal entry, and the nightly settle adds each day's to the counters."""

from sqlalchemy import select

from surveys.extensions import db
from surveys.models import FunnelCount, Survey
from surveys.services import funnel
from tests.conftest import settle_now


def _totals(app, slug):
    settle_now(app)
    with app.app_context():
        survey = db.session.scalars(select(Survey).where(Survey.slug == slug)).one()
        return funnel.totals(db.session, survey)


def test_shown_started_completed_and_not_now_are_counted(app, shopper, make_shopper):
    shopper.submit("about-you", {"gender": "female"})  # shown, started, completed
    make_shopper().submit("about-you", {"state": "NG-KN", "lga": "NG-LA-01"})  # refused: shown only
    make_shopper().not_now("about-you")  # shown, not now
    assert _totals(app, "about-you") == {"shown": 3, "started": 1, "completed": 1, "not_now": 1}


def test_an_under_18_answer_is_started_but_not_completed(app, shopper):
    shopper.submit("about-you", {"age_band": "under_18"})
    assert _totals(app, "about-you") == {"shown": 1, "started": 1, "completed": 0, "not_now": 0}


def test_counters_hold_one_row_per_survey_day_and_event_and_nothing_else(
    app, shopper, make_shopper
):
    for _ in range(3):
        make_shopper().submit("where-you-shop", {"state": "NG-OY"})
    with app.app_context():
        assert list(db.session.scalars(select(FunnelCount))) == []  # nothing until the settle
    settle_now(app)
    with app.app_context():
        rows = list(db.session.scalars(select(FunnelCount)))
    assert sorted((row.event, row.count) for row in rows) == [
        ("completed", 3),
        ("shown", 3),
        ("started", 3),
    ]
    assert {column.name for column in FunnelCount.__table__.columns} == {
        "id", "survey_id", "day", "event", "count",
    }  # fmt: skip


def test_an_unknown_event_is_refused(app):
    import pytest

    with app.app_context():
        survey = db.session.scalars(select(Survey)).first()
        with pytest.raises(ValueError, match="unknown funnel event"):
            funnel.record(db.session, survey, "clicked", survey.opens_on)
