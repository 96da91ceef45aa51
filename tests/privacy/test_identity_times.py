"""The identity store keeps no exact time of a sign-in: sessions and spent shop tokens end on
a whole hour, and ended or expired sessions are deleted.

Threat: with the identity store alone, ``shopper_sessions.expires_at`` minus the session
length was every signed-in shopper's sign-in time to the microsecond, consenting or not (the
22 % line-up in issue 10 used nothing else). Consent records keep their exact times: they
are the proof of consent, and say which attributes, never which answers or when answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select, update

from surveys import clock
from surveys.extensions import db
from surveys.models import ShopperSession, UsedToken
from surveys.services import shop_tokens, shopper_sessions
from tests.conftest import csrf_token
from tests.consent.consent_helpers import shop_token


def _whole_hour(moment: datetime) -> bool:
    return (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def test_a_session_ends_on_the_whole_hour_after_its_lifetime(app):
    started = datetime(2026, 3, 4, 9, 17, 42, 123456, tzinfo=UTC)
    with app.app_context():
        shopper_sessions.start(db.session, "cust-1", started, timedelta(hours=12), None)
        on_the_hour = started.replace(minute=0, second=0, microsecond=0)
        shopper_sessions.start(db.session, "cust-2", on_the_hour, timedelta(hours=12), None)
        db.session.commit()
        ends = {
            row.subject: row.expires_at
            for row in db.session.execute(select(ShopperSession.subject, ShopperSession.expires_at))
        }
    assert ends["cust-1"] == datetime(2026, 3, 4, 22, tzinfo=UTC)  # 21:17:42 rounded up
    assert ends["cust-2"] == datetime(2026, 3, 4, 21, tzinfo=UTC)  # already whole: kept


def test_signing_in_through_the_shop_stores_only_a_whole_hour(app, make_customer):
    customer = make_customer()
    customer.sign_in("cust-3")
    with app.app_context():
        (session,) = db.session.scalars(select(ShopperSession)).all()
        (used,) = db.session.scalars(select(UsedToken)).all()
    hours = app.config["SHOPPER_SESSION_HOURS"]
    assert _whole_hour(session.expires_at) and _whole_hour(used.expires_at)
    now = clock.now()
    assert now + timedelta(hours=hours) <= session.expires_at
    assert session.expires_at <= now + timedelta(hours=hours + 1)


def test_signing_out_deletes_the_session(app, make_customer):
    customer = make_customer()
    customer.sign_in("cust-4")
    token = csrf_token(customer.client.get("/auth/logout"))
    assert customer.client.post("/auth/logout", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(ShopperSession)).all() == []


def test_every_expired_session_is_deleted_at_the_next_sign_in(app, make_customer):
    make_customer().sign_in("cust-5")
    make_customer().sign_in("cust-6")
    with app.app_context():
        db.session.execute(
            update(ShopperSession)
            .where(ShopperSession.subject == "cust-5")
            .values(expires_at=clock.now() - timedelta(hours=1))
        )
        db.session.commit()
    make_customer().sign_in("cust-7")
    with app.app_context():
        subjects = set(db.session.scalars(select(ShopperSession.subject)))
    assert subjects == {"cust-6", "cust-7"}


def test_a_spent_token_is_kept_until_the_hour_after_it_expires_and_cannot_be_replayed(
    app, make_customer
):
    token = shop_token(app, "cust-8")
    customer = make_customer()
    assert customer.client.get("/auth/shop", query_string={"token": token}).status_code == 303
    with app.app_context():
        (used,) = db.session.scalars(select(UsedToken)).all()
        # Kept at least until the token could no longer be used: expiry plus the leeway.
        claims = jwt.decode(token, options={"verify_signature": False})
        expiry = datetime.fromtimestamp(claims["exp"], UTC)
        assert expiry + timedelta(seconds=shop_tokens.LEEWAY) <= used.expires_at
        assert used.expires_at < expiry + timedelta(seconds=shop_tokens.LEEWAY, hours=1)
    again = make_customer().client.get("/auth/shop", query_string={"token": token})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
