"""Retention: old anonymous answers go at the nightly settle (``flask answers settle``), spent
ids and ended sessions with ``flask retention purge``; proof of consent stays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from consent_helpers import ABOUT_YOU, shop_token
from sqlalchemy import select, update

from surveys.extensions import db
from surveys.models import ConsentRecord, Dismissal, Response, ShopperSession, UsedToken
from tests.conftest import settle_now


def age_all_answers(app, days: int) -> None:
    """Settle what the visits wrote, then make every answer ``days`` old."""
    settle_now(app)
    with app.app_context():
        old = date.today() - timedelta(days=days)
        db.session.execute(update(Response).values(submitted_on=old, updated_on=old))
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return len(db.session.scalars(select(model)).all())


def test_the_settle_deletes_old_anonymous_answers_and_keeps_recent_ones(
    app, runner, make_shopper, settle
):
    make_shopper().submit("about-you", ABOUT_YOU)
    age_all_answers(app, 731)
    make_shopper().submit("where-you-shop", {"state": "NG-KN"})  # fresh
    result = runner.invoke(args=["answers", "settle"])
    assert result.exit_code == 0, result.output
    assert "(of which past retention: 1)" in result.output
    settle()  # today's answer too
    with app.app_context():
        assert db.session.scalars(select(Response.state_code)).all() == ["NG-KN"]


def test_answers_exactly_at_the_limit_are_kept(app, runner, make_shopper):
    make_shopper().submit("about-you", ABOUT_YOU)
    age_all_answers(app, 730)
    result = runner.invoke(args=["answers", "settle"])
    assert "(of which past retention: 0)" in result.output
    assert count(app, Response) == 1


def test_the_retention_period_comes_from_config(make_app, shopper_of):
    from surveys.services import catalogue

    app = make_app(ANSWER_RETENTION_DAYS=30)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    shopper_of(app).submit("about-you", ABOUT_YOU)
    age_all_answers(app, 31)
    result = app.test_cli_runner().invoke(args=["answers", "settle"])
    assert "(of which past retention: 1)" in result.output
    assert count(app, Response) == 0


def test_answers_linked_by_an_active_consent_are_kept_and_consent_records_stay(
    app, runner, customer
):
    customer.sign_in("cust-1")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    age_all_answers(app, 1000)
    runner.invoke(args=["answers", "settle"])
    assert count(app, Response) == 1
    customer.withdraw("keep")  # now anonymous, and old
    result = runner.invoke(args=["answers", "settle"])
    assert "(of which past retention: 1)" in result.output
    assert count(app, Response) == 0
    assert count(app, ConsentRecord) == 2


def test_purge_deletes_expired_token_ids_sessions_and_the_settle_expired_not_nows(
    app, runner, customer, shopper, settle
):
    customer.client.get("/auth/shop", query_string={"token": shop_token(app, "cust-2")})
    shopper.not_now("about-you")
    settle()
    with app.app_context():
        past = datetime.now(UTC) - timedelta(hours=1)
        db.session.execute(update(UsedToken).values(expires_at=past))
        db.session.execute(update(ShopperSession).values(expires_at=past))
        db.session.execute(update(Dismissal).values(until=date.today()))
        db.session.add(
            UsedToken(jti="still-live", expires_at=datetime.now(UTC) + timedelta(minutes=5))
        )
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert "used shop token ids deleted: 1" in result.output
    assert "sign-in sessions deleted: 1" in result.output
    assert "“Not now”s written: 0; deleted: 1" in runner.invoke(args=["answers", "settle"]).output
    with app.app_context():
        assert db.session.scalars(select(UsedToken.jti)).all() == ["still-live"]
    assert count(app, ShopperSession) == 0 and count(app, Dismissal) == 0


def test_purge_and_settle_are_idempotent(app, runner, make_shopper, customer):
    make_shopper().submit("about-you", ABOUT_YOU)
    customer.client.get("/auth/shop", query_string={"token": shop_token(app, "cust-3")})
    age_all_answers(app, 800)
    with app.app_context():
        past = datetime.now(UTC) - timedelta(hours=1)
        db.session.execute(update(ShopperSession).values(expires_at=past))
        db.session.commit()
    first = runner.invoke(args=["retention", "purge"]).output
    first += runner.invoke(args=["answers", "settle"]).output
    second = runner.invoke(args=["retention", "purge"])
    second_settle = runner.invoke(args=["answers", "settle"])
    assert "sessions deleted: 1" in first and "past retention: 1" in first
    assert second.exit_code == 0 and second_settle.exit_code == 0
    assert all(line.endswith(": 0") for line in second.output.splitlines() if "deleted:" in line)
    assert "Answers written: 0; deleted: 0 (of which past retention: 0)" in second_settle.output


def test_profile_reads_older_than_the_read_log_period_go_and_recent_ones_stay(app, runner):
    from surveys.services import profiles

    now = datetime.now(UTC)
    with app.app_context():
        profiles.record_read(db.session, "cust-1", "recs", ["state"], now - timedelta(days=181))
        profiles.record_read(db.session, "cust-1", "recs", ["gender"], now - timedelta(days=179))
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert "Profile reads logged over 180 days ago deleted: 1" in result.output
    with app.app_context():
        kept = profiles.reads_of(db.session, "cust-1")
        assert [read.attributes for read in kept] == [["gender"]]


def test_webhook_deliveries_given_up_on_long_ago_go_and_others_stay(app, runner):
    from surveys.models import WebhookDelivery
    from surveys.models.api import UPDATED
    from surveys.services import api_clients, profile_changes

    now = datetime.now(UTC)
    with app.app_context():
        api_clients.create(
            db.session, "recs", ["profiles:read", "changes:read"], now, "https://r.example/h"
        )
        for subject in ("old-failure", "new-failure", "pending"):
            profile_changes.record(db.session, subject, UPDATED, now)
        db.session.commit()
        deliveries = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.change_id))
        old, new, _pending = deliveries.all()
        old.failed_at, old.next_attempt_at = now - timedelta(days=31), None
        new.failed_at, new.next_attempt_at = now - timedelta(days=29), None
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert "Webhook deliveries failed over 30 days ago deleted: 1" in result.output
    with app.app_context():
        left = db.session.scalars(select(WebhookDelivery.failed_at.is_(None))).all()
        assert sorted(left) == [False, True]  # the recent failure and the pending one
