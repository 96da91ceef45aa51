"""The rollups always equal a recount of the raw answers, whatever shoppers do: the nightly
settle changes both in one transaction (a visit changes neither)."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from dashboard_helpers import week_day
from sqlalchemy import inspect, select

from surveys.extensions import db
from surveys.models import Response, RollupCell
from surveys.services import answers as answer_service
from surveys.services import catalogue, rollups
from surveys.services.respondents import respondent_hash
from tests.conftest import settle_now

ABOUT_YOU = {
    "state": "NG-LA",
    "lga": "NG-LA-11",
    "age_band": "age_25_34",
    "income_band": "income_150k_300k",
    "gender": "female",
}


def _cells(question: str, level: str = "all"):
    """The stored rollup rows of one question at one level."""
    return db.session.scalars(
        select(RollupCell).where(RollupCell.level == level, RollupCell.question == question)
    ).all()


def _in_step(app) -> bool:
    settle_now(app)
    with app.app_context():
        return rollups.stored(db.session) == rollups.recount(db.session)


def test_a_new_answer_is_counted_in_the_week_it_was_submitted(app, respond):
    respond("about-you", ABOUT_YOU, day=week_day(3))
    with app.app_context():
        (total,) = _cells("total")
        assert total.week == rollups.week_of(week_day(3)) and total.count == 1
        (pair,) = _cells("age_band+income_band", level="state")
        assert (pair.area, pair.answer_a, pair.answer_b) == (
            "NG-LA", "age_25_34", "income_150k_300k",
        )  # fmt: skip
        (zone,) = _cells("gender", level="zone")
        assert (zone.area, zone.answer_a) == ("South West", "female")
        (lga,) = _cells("lga", level="state")
        assert (lga.area, lga.answer_a, lga.count) == ("NG-LA", "NG-LA-11", 1)
        # Three levels x (total, three questions, three pairs), and the LGA.
        assert len(db.session.scalars(select(RollupCell)).all()) == 3 * 7 + 1
    assert _in_step(app)


def test_skipped_and_prefer_not_to_say_are_separate_cells(app, respond):
    respond("about-you", {"gender": "prefer_not_to_say"})
    with app.app_context():
        (gender,) = _cells("gender")
        (age,) = _cells("age_band")
        (state,) = _cells("total", level="state")
        assert (gender.answer_a, age.answer_a, state.area) == (
            "prefer_not_to_say", "skipped", "skipped",
        )  # fmt: skip


def test_changing_answers_moves_the_response_between_cells_but_not_between_weeks(app):
    with app.app_context():
        survey = catalogue.find(db.session, "about-you")
        who = respondent_hash(secrets.token_urlsafe(32))
        answer_service.save_answers(db.session, survey, who, ABOUT_YOU, week_day(4))
        db.session.commit()
        settle_now(app)
        key_before = db.session.scalars(select(Response.record_key)).one()
        changed = {**ABOUT_YOU, "age_band": "age_35_44"}
        answer_service.save_answers(db.session, survey, who, changed, week_day(1))
        db.session.commit()
        assert [row.answer_a for row in _cells("age_band")] == ["age_25_34"]  # until the settle
        db.session.commit()  # ends this read (on PostgreSQL the settle rewrites the table)
        settle_now(app)
        (row,) = _cells("age_band")
        assert row.answer_a == "age_35_44" and row.week == rollups.week_of(week_day(4))
        # The record's key is drawn afresh, so every published cell's noise changes too.
        assert db.session.scalars(select(Response.record_key)).one() != key_before
        # Saving the same answers again changes nothing.
        answer_service.save_answers(db.session, survey, who, changed, week_day(1))
        db.session.commit()
        settle_now(app)
        assert [row.count for row in _cells("total")] == [1]
    assert _in_step(app)


def test_deleting_answers_through_the_shopper_pages_removes_them_from_the_rollups(
    app, shopper, make_shopper
):
    shopper.submit("about-you", ABOUT_YOU)
    shopper.submit("where-you-shop", {"state": "NG-KN", "lga": "NG-KN-01"})
    other = make_shopper()
    other.submit("about-you", ABOUT_YOU)
    assert _in_step(app)
    shopper.post_action("/surveys/about-you", "/surveys/about-you/delete")
    assert _in_step(app)
    shopper.post_action("/me", "/me/delete")
    assert _in_step(app)
    with app.app_context():
        assert [row.count for row in _cells("total")] == [1]


def test_under_18_and_all_skipped_clear_earlier_answers_from_the_rollups(app, shopper):
    shopper.submit("about-you", ABOUT_YOU)
    shopper.submit("about-you", {})  # everything skipped: nothing kept
    assert _in_step(app)
    shopper.submit("about-you", ABOUT_YOU)
    shopper.submit("about-you", {"age_band": "under_18"})
    assert _in_step(app)
    with app.app_context():
        assert db.session.scalars(select(RollupCell)).all() == []


def test_rollups_equal_a_recount_after_a_random_mix_of_inserts_changes_and_deletions(app):
    rng = random.Random(20261125)
    with app.app_context():
        surveys = catalogue.all_surveys(db.session)
        people: list[str] = []
        for step in range(300):
            survey = rng.choice(surveys)
            action = rng.random()
            if action < 0.55 or not people:
                who = respondent_hash(secrets.token_urlsafe(32))
                people.append(who)
            else:
                who = rng.choice(people)
            if action > 0.9:
                answer_service.delete_answers(
                    db.session, who, survey if rng.random() < 0.5 else None
                )
            else:
                answers = _random_answers(rng, survey.questions)
                day = week_day(rng.randrange(1, 8)) + timedelta(days=rng.randrange(-2, 3))
                answer_service.save_answers(db.session, survey, who, answers, day)
            if step % 50 == 0:
                db.session.commit()
            if step % 75 == 0:
                db.session.commit()
                settle_now(app)  # several settles, some with a browser's entries on both sides
                assert rollups.stored(db.session) == rollups.recount(db.session)
        db.session.commit()
        settle_now(app)
        assert db.session.scalars(select(Response)).first() is not None
        assert rollups.stored(db.session) == rollups.recount(db.session)


def _random_answers(rng: random.Random, questions: list[str]) -> dict[str, str | None]:
    from surveys import reference
    from surveys.questions import QUESTIONS

    answers: dict[str, str | None] = {}
    for key in questions:
        if key == "lga":
            choices = list(reference.lga_choices(answers.get("state")))
        else:
            choices = [c for c in QUESTIONS[key].choices() if c != reference.UNDER_18]
        options = [*choices[:4], reference.PREFER_NOT_TO_SAY, None] if choices else [None]
        answers[key] = rng.choice(options)
    return answers


def test_rollups_hold_no_respondent_and_no_finer_time_than_a_week(app):
    for model in (RollupCell,):
        columns = {c.key for c in inspect(model).columns}
        assert "respondent_hash" not in columns and "record_key" not in columns
        assert not any("time" in name or name.endswith("_at") for name in columns)


def test_rebuild_gives_the_same_rollups_as_the_live_updates(app, respond):
    for state in ("NG-LA", "NG-KN", "NG-LA"):
        respond("about-you", {**ABOUT_YOU, "state": state, "lga": None})
    with app.app_context():
        live = rollups.stored(db.session)
        rollups.rebuild(db.session)
        db.session.commit()
        assert rollups.stored(db.session) == live
