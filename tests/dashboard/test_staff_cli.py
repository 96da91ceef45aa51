"""`flask staff create` and `flask demo seed` from the command line."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from surveys import clock
from surveys.extensions import db
from surveys.models import FunnelCount, Release, Response, StaffUser
from surveys.services import funnel


def _accounts(app):
    with app.app_context():
        rows = db.session.scalars(select(StaffUser)).all()
        db.session.expunge_all()
        return rows


def test_staff_create_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(app, runner):
    result = runner.invoke(
        args=["staff", "create", "Ada@Example.com", "--role", "admin"],
        input="a long enough pass phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account ada@example.com" in result.output
    (account,) = _accounts(app)
    assert account.email == "ada@example.com" and account.role == "admin"
    assert account.password_hash.startswith("$argon2id$")
    assert "a long enough pass phrase" not in account.password_hash


def test_staff_create_takes_no_password_argument(runner):
    result = runner.invoke(
        args=["staff", "create", "a@example.com", "--role", "analyst", "--password", "x" * 20]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_staff_create_refuses_bad_input_and_creates_nothing(app, runner):
    cases = [
        (["not-an-email", "--role", "analyst"], "a long enough pass phrase", "not an email"),
        (["b@example.com", "--role", "analyst"], "too short", "at least 12"),
        (["b@example.com", "--role", "boss"], "a long enough pass phrase", "Invalid value"),
        (["b@example.com"], "a long enough pass phrase", "Missing option"),
    ]
    for args, password, message in cases:
        result = runner.invoke(args=["staff", "create", *args], input=password + "\n")
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert _accounts(app) == []


def test_staff_create_refuses_a_second_account_with_the_same_email(app, runner):
    args = ["staff", "create", "c@example.com", "--role", "analyst"]
    assert runner.invoke(args=args, input="a long enough pass phrase\n").exit_code == 0
    again = runner.invoke(args=[*args[:2], "C@EXAMPLE.COM", "--role", "admin"], input="x" * 13)
    assert again.exit_code == 1 and "already exists" in again.output
    assert [a.role for a in _accounts(app)] == ["analyst"]


def test_staff_list_shows_accounts_without_hashes(app, runner):
    runner.invoke(args=["staff", "create", "d@example.com", "--role", "analyst"], input="y" * 14)
    output = runner.invoke(args=["staff", "list"]).output
    assert "d@example.com" in output and "analyst" in output and "argon2" not in output


def test_demo_seed_adds_realistic_answers_and_releases_the_weeks_that_have_ended(app, runner):
    result = runner.invoke(args=["demo", "seed", "--responses", "400", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Adding responses" in result.output and "Added 400 responses" in result.output
    # The answers span the 26 weeks before this one (the first may be empty, so not released).
    assert re.search(r"Released 2[56] week\(s\)", result.output), result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 400
        lagos = db.session.scalar(select(func.count()).where(Response.state_code == "NG-LA"))
        bayelsa = db.session.scalar(select(func.count()).where(Response.state_code == "NG-BY"))
        assert lagos > bayelsa  # weighted by population
        surveys = db.session.scalar(
            select(func.count(func.distinct(Release.survey_id))).where(Release.kind == "survey")
        )
        assert surveys == 2
    again = runner.invoke(args=["dashboard", "release"])
    assert again.exit_code == 0 and "No week was due for release." in again.output


def test_demo_seed_counts_each_surveys_responses_as_its_completed_funnel_steps(app, runner):
    # Most answers go to one survey: counters split evenly between surveys would not match.
    result = runner.invoke(args=["demo", "seed", "--responses", "600", "--seed", "2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        responses = dict(
            db.session.execute(
                select(Response.survey_id, func.count()).group_by(Response.survey_id)
            ).all()
        )
        steps = {
            (survey_id, event): total
            for survey_id, event, total in db.session.execute(
                select(
                    FunnelCount.survey_id, FunnelCount.event, func.sum(FunnelCount.count)
                ).group_by(FunnelCount.survey_id, FunnelCount.event)
            )
        }
        days = db.session.execute(
            select(FunnelCount.survey_id, FunnelCount.day, FunnelCount.count).where(
                FunnelCount.event == funnel.COMPLETED
            )
        ).all()
        for survey_id, day, completed in days:
            on_the_day = db.session.scalar(
                select(func.count()).where(
                    Response.survey_id == survey_id, Response.submitted_on == day
                )
            )
            assert completed == on_the_day
    assert len(responses) == 2 and max(responses.values()) > 3 * min(responses.values())
    for survey_id, count in responses.items():
        completed = steps[(survey_id, funnel.COMPLETED)]
        assert completed == count
        assert steps[(survey_id, funnel.SHOWN)] >= steps[(survey_id, funnel.STARTED)] >= completed
        assert 0 < steps[(survey_id, funnel.NOT_NOW)] < steps[(survey_id, funnel.SHOWN)]


def test_demo_seed_if_empty_adds_answers_only_to_an_empty_store(app, runner):
    first = runner.invoke(args=["demo", "seed", "--responses", "30", "--seed", "1", "--if-empty"])
    assert first.exit_code == 0 and "Added 30 responses" in first.output
    again = runner.invoke(args=["demo", "seed", "--responses", "30", "--if-empty"])
    assert again.exit_code == 0 and "no demo data added" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 30


def test_dashboard_release_releases_each_closed_week_once(app, runner, shopper):
    shopper.submit("about-you", {"state": "NG-LA", "gender": "female"})
    today = clock.today()
    next_week = (today + timedelta(days=7 - today.weekday())).isoformat()
    assert runner.invoke(args=["dashboard", "release"]).output.strip() == (
        "No week was due for release."
    )  # this week has not ended
    future = runner.invoke(args=["dashboard", "release", "--today", next_week])
    assert future.exit_code == 2 and "cannot be in the future" in future.output
    bad = runner.invoke(args=["dashboard", "release", "--today", "yesterday"])
    assert bad.exit_code == 2 and "Invalid value" in bad.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Release)) == 0


def test_demo_seed_refuses_zero_responses(runner):
    result = runner.invoke(args=["demo", "seed", "--responses", "0"])
    assert result.exit_code != 0 and "Invalid value" in result.output


def test_a_week_with_answers_still_in_the_journal_waits_for_the_settle_which_releases_it(
    app, runner, shopper, monkeypatch
):
    today = clock.today()
    last_week = today - timedelta(days=7)
    monkeypatch.setattr(clock, "today", lambda: last_week)
    for _ in range(3):
        shopper.submit("about-you", {"state": "NG-LA", "gender": "female"})
    monkeypatch.setattr(clock, "today", lambda: today)

    early = runner.invoke(args=["dashboard", "release"])
    assert early.exit_code == 0, early.output
    assert "not settled yet" in early.output and "No week was due for release." in early.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Release)) == 0

    settled = runner.invoke(args=["answers", "settle"])
    assert settled.exit_code == 0, settled.output
    with app.app_context():
        weeks = set(db.session.scalars(select(Release.week)))
    monday = last_week - timedelta(days=last_week.weekday())
    assert monday in weeks  # the settle released the week it completed
