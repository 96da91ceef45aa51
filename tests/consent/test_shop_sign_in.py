"""Signing in from the shop: only a fresh, single-use token signed by the shop starts a session."""

from __future__ import annotations

import logging
import time

import pytest
from consent_helpers import shop_token
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import ShopperSession, UsedToken
from surveys.services import shopper_sessions
from tests.conftest import wait_for_a_fresh_rate_window

pytestmark = pytest.mark.usefixtures("app")


def signed_in_subject(app, client) -> str | None:
    """Who the service thinks this browser is, read the way the views read it."""
    cookie = client.get_cookie("signin")
    if cookie is None:
        return None
    token = shopper_sessions.unsign(app.config["SECRET_KEY"], cookie.value)
    with app.app_context():
        from surveys import clock

        found = shopper_sessions.find(db.session, token, clock.now())
        return found.subject if found else None


def test_a_valid_token_starts_a_session_and_goes_to_next(app, customer):
    page = customer.sign_in("cust-1001", next="/surveys/about-you")
    assert page.status_code == 303
    assert page.headers["Location"] == "/surveys/about-you"
    assert signed_in_subject(app, customer.client) == "cust-1001"


def test_the_token_can_also_be_posted_by_the_shop_without_a_csrf_token(app, customer):
    page = customer.client.post(
        "/auth/shop", data={"token": shop_token(app, "cust-7"), "next": "/me"}
    )
    assert page.status_code == 303 and page.headers["Location"] == "/me"
    assert signed_in_subject(app, customer.client) == "cust-7"


def test_the_cookie_holds_a_signed_random_token_and_never_the_subject(app, customer, store):
    customer.sign_in("cust-unmistakable-id")
    cookies = {cookie.key: cookie.value for cookie in customer.client._cookies.values()}
    assert "signin" in cookies
    assert all("cust-unmistakable-id" not in value for value in cookies.values())
    (row,) = store.sessions()
    token = shopper_sessions.unsign(app.config["SECRET_KEY"], cookies["signin"])
    assert row.token_hash == shopper_sessions.token_hash(token) and token not in row.token_hash
    assert row.subject == "cust-unmistakable-id"
    assert row.expires_at.tzinfo is not None


def test_signing_in_again_changes_the_session_token_and_ends_the_old_one(app, customer, store):
    customer.sign_in("cust-1")
    first = customer.session_cookie()
    customer.sign_in("cust-1")
    second = customer.session_cookie()
    assert first != second
    assert len(store.sessions()) == 1
    stale = customer.app.test_client()
    stale.set_cookie("signin", first)
    assert signed_in_subject(app, stale) is None


def test_a_forged_session_cookie_is_not_signed_in(app, customer):
    customer.client.set_cookie("signin", "made-up")
    assert signed_in_subject(app, customer.client) is None
    assert "You are signed in" not in customer.me()


def test_an_expired_session_is_not_signed_in(app, customer):
    customer.sign_in("cust-1")
    with app.app_context():
        row = db.session.scalars(select(ShopperSession)).one()
        row.expires_at = row.expires_at.replace(year=2000)
        db.session.commit()
    assert "You are signed in" not in customer.me()


def refused(page, message: str) -> None:
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert page.headers.get("Set-Cookie") is None or "signin=" not in page.headers["Set-Cookie"]


def test_a_replayed_token_is_refused(app, customer, make_customer, store):
    token = shop_token(app, "cust-1")
    assert customer.client.get("/auth/shop", query_string={"token": token}).status_code == 303
    thief = make_customer()
    refused(thief.client.get("/auth/shop", query_string={"token": token}), "already used")
    assert len(store.sessions()) == 1


def test_an_expired_token_is_refused(app, customer, store):
    now = int(time.time())
    token = shop_token(app, iat=now - 400, exp=now - 60)
    refused(customer.client.get("/auth/shop", query_string={"token": token}), "has expired")
    assert store.sessions() == []


def test_a_token_signed_with_another_key_is_refused(app, customer, store):
    token = shop_token(app, key="another-key-that-is-long-enough-for-hs256-xx")
    refused(customer.client.get("/auth/shop", query_string={"token": token}), "not from the shop")
    assert store.sessions() == []


@pytest.mark.parametrize("audience", ["shop", "recommendations", ["surveys", "other"]])
def test_a_token_addressed_to_another_service_is_refused(app, customer, store, audience):
    token = shop_token(app, aud=audience)
    page = customer.client.get("/auth/shop", query_string={"token": token})
    refused(page, "meant for another service")
    assert store.sessions() == []


def test_a_token_living_longer_than_ten_minutes_is_refused(app, customer, store):
    now = int(time.time())
    refused(
        customer.client.get(
            "/auth/shop", query_string={"token": shop_token(app, iat=now, exp=now + 601)}
        ),
        "lasts too long",
    )
    assert store.sessions() == []


def test_a_token_of_exactly_ten_minutes_is_accepted(app, customer):
    now = int(time.time())
    token = shop_token(app, iat=now, exp=now + 600)
    assert customer.client.get("/auth/shop", query_string={"token": token}).status_code == 303


def test_a_token_issued_in_the_future_is_refused(app, customer):
    now = int(time.time())
    token = shop_token(app, iat=now + 3600, exp=now + 3700)
    refused(customer.client.get("/auth/shop", query_string={"token": token}), "not valid yet")


@pytest.mark.parametrize("claim", ["sub", "aud", "iat", "exp", "jti"])
def test_a_token_missing_a_claim_is_refused(app, customer, store, claim):
    page = customer.client.get(
        "/auth/shop", query_string={"token": shop_token(app, **{claim: None})}
    )
    assert page.status_code == 400
    assert store.sessions() == []


@pytest.mark.parametrize(
    "subject",
    ["x" * 129, "", " cust-1", "cust\n1", 12345],
    ids=["too-long", "empty", "padded", "control-character", "not-a-string"],
)
def test_a_subject_that_is_not_a_short_printable_string_is_refused(app, customer, store, subject):
    refused(
        customer.client.get("/auth/shop", query_string={"token": shop_token(app, sub=subject)}),
        "incomplete",
    )
    assert store.sessions() == []


def test_a_subject_of_128_characters_is_accepted(app, customer):
    customer.sign_in("c" * 128)
    assert signed_in_subject(app, customer.client) == "c" * 128


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "x" * 5000],
    ids=["empty", "garbage", "three-garbage-parts", "huge"],
)
def test_garbage_instead_of_a_token_is_refused_clearly(customer, store, token):
    page = customer.client.get("/auth/shop", query_string={"token": token})
    assert page.status_code == 400
    assert "sign-in" in page.get_data(as_text=True).lower()
    assert store.sessions() == []


def test_an_unsigned_token_is_refused(app, customer, store):
    """The classic ``alg: none`` trick: a token with no signature at all."""
    token = shop_token(app, key=None, algorithm="none")
    page = customer.client.get("/auth/shop", query_string={"token": token})
    assert page.status_code == 400
    assert store.sessions() == []


def test_a_refused_token_does_not_use_up_its_id(app, customer):
    """Only a token that starts a session is remembered as used."""
    token = shop_token(app, aud="elsewhere", jti="only-once")
    customer.client.get("/auth/shop", query_string={"token": token})
    with app.app_context():
        assert db.session.scalars(select(UsedToken)).all() == []


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/\tevil",
        " //evil.example",
        "HTTPS://evil.example",
    ],
)
def test_next_never_leaves_the_site(customer, target):
    page = customer.sign_in(next=target)
    assert page.status_code == 303
    location = page.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location or location == target


def test_next_keeps_a_relative_path_with_its_query(customer):
    page = customer.sign_in(next="/surveys/about-you?x=1")
    assert page.headers["Location"] == "/surveys/about-you?x=1"


def test_logout_ends_the_session_and_needs_a_csrf_token(app, customer, store):
    customer.sign_in("cust-1")
    assert customer.client.post("/auth/logout").status_code == 400
    assert len(store.sessions()) == 1
    page = customer.client.get("/auth/logout")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    from consent_helpers import csrf_token

    page = customer.client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    assert page.status_code == 303
    assert store.sessions() == []
    assert customer.session_cookie() is None
    assert "You are signed in" not in customer.me()


def test_the_demo_shop_does_not_exist_unless_demo_is_on(client):
    assert client.get("/demo").status_code == 404


def test_the_demo_shop_signs_made_up_customers_in(make_app):
    from consent_helpers import Customer

    app = make_app(DEMO=True)
    customer = Customer(app.test_client(), app)
    page = customer.client.get("/demo").get_data(as_text=True)
    assert "stands in for the shop" in page
    import re

    tokens = re.findall(r'name="token" value="([^"]+)"', page)
    assert len(tokens) == 3
    signed = customer.client.post("/auth/shop", data={"token": tokens[0], "next": "/"})
    assert signed.status_code == 303
    assert signed_in_subject(app, customer.client) == "demo-customer-1001"


def test_logs_carry_no_subject_token_or_cookie(app, customer, caplog):
    caplog.set_level(logging.INFO, logger="surveys")
    token = shop_token(app, "cust-secret-subject")
    customer.client.get("/auth/shop", query_string={"token": token, "next": "/me"})
    customer.client.get("/auth/shop", query_string={"token": token})  # replay, refused
    customer.client.get("/me")
    text = "\n".join(
        record.getMessage() + repr(getattr(record, "fields", "")) for record in caplog.records
    )
    assert "shop sign-in" in text and "replayed" in text
    assert "cust-secret-subject" not in text
    assert token not in text and token[:20] not in text
    assert customer.session_cookie() not in text


def test_sign_in_attempts_are_rate_limited(make_app):
    from consent_helpers import Customer

    app = make_app(RATELIMIT_ENABLED=True)
    customer = Customer(app.test_client(), app)
    wait_for_a_fresh_rate_window()
    statuses = [
        customer.client.get("/auth/shop", query_string={"token": "garbage"}).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
