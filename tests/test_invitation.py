"""``GET /invitation.json``: whether the shop's snippet invites this browser now, and to which
survey; what it may set and say; and who may read it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue
from tests.conftest import csrf_token

SHOP = "https://shop.example.ng"


def ask(shopper, **headers):
    return shopper.client.get("/invitation.json", headers=headers)


def forget_invited(shopper):
    shopper.client.delete_cookie("invited")


def test_a_new_browser_is_invited_to_the_first_open_survey(shopper):
    answer = ask(shopper)
    body = answer.get_json()
    assert body["invite"] is True
    assert body["survey"]["slug"] == "about-you"
    assert body["survey"]["url"] == "http://localhost/surveys/about-you"
    assert body["not_now"]["url"] == "http://localhost/surveys/about-you/not-now"
    assert answer.headers["Cache-Control"] == "no-store"


def test_saying_yes_sets_only_a_constant_invited_cookie_lasting_invite_every_days(shopper):
    cookies = ask(shopper).headers.getlist("Set-Cookie")
    invited = [c for c in cookies if c.startswith("invited=")]
    assert len(invited) == 1
    assert invited[0].startswith("invited=1;")
    assert "Max-Age=604800" in invited[0]  # INVITE_EVERY_DAYS = 7 by default
    assert "HttpOnly" in invited[0] and "SameSite=Lax" in invited[0]
    # No respondent key is made for a browser just because it was invited.
    assert shopper.respondent_cookie() is None


def test_a_browser_invited_within_the_period_is_not_invited_again_and_gets_no_cookie(shopper):
    ask(shopper)
    again = ask(shopper)
    assert again.get_json() == {"invite": False}
    assert "Set-Cookie" not in again.headers
    assert again.headers["Cache-Control"] == "no-store"


def test_the_period_is_invite_every_days(make_app, shopper_of):
    app = make_app(INVITE_EVERY_DAYS=2)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    cookie = ask(shopper_of(app)).headers["Set-Cookie"]
    assert "Max-Age=172800" in cookie


def test_a_survey_the_browser_answered_is_not_offered(shopper):
    shopper.submit("about-you", {"gender": "female"})
    assert ask(shopper).get_json()["survey"]["slug"] == "where-you-shop"
    forget_invited(shopper)
    shopper.submit("where-you-shop", {"state": "NG-KN"})
    answer = ask(shopper)
    assert answer.get_json() == {"invite": False}
    assert "Set-Cookie" not in answer.headers


def test_not_now_keeps_that_survey_out_of_invitations_for_not_now_days(shopper, monkeypatch):
    shopper.not_now("about-you")
    shopper.not_now("where-you-shop")
    assert ask(shopper).get_json() == {"invite": False}
    monkeypatch.setattr(clock, "today", lambda: date.today() + timedelta(days=29))
    assert ask(shopper).get_json() == {"invite": False}
    monkeypatch.setattr(clock, "today", lambda: date.today() + timedelta(days=30))
    assert ask(shopper).get_json()["invite"] is True


def test_nothing_is_offered_when_no_survey_is_open(shopper, set_survey):
    yesterday = date.today() - timedelta(days=1)
    set_survey("about-you", closes_on=yesterday)
    set_survey("where-you-shop", active=False)
    answer = ask(shopper)
    assert answer.get_json() == {"invite": False}
    assert "Set-Cookie" not in answer.headers


def test_the_answer_carries_nothing_about_the_shopper(shopper):
    shopper.submit("about-you", {"gender": "female", "state": "NG-LA"})
    body = ask(shopper).get_json()
    # "lang" and "text": the page language's code and the snippet's words in it.
    assert set(body) == {"invite", "lang", "shop", "text", "survey", "not_now"}
    assert set(body["text"]) == {"invitation", "answer", "not_now"}
    assert set(body["survey"]) == {"slug", "title", "questions", "url"}
    assert set(body["not_now"]) == {"url", "csrf_token"}
    text = str(body)
    assert "female" not in text and "NG-LA" not in text
    assert shopper.respondent_cookie() not in text


@pytest.fixture
def shop_browser(make_app, shopper_of):
    app = make_app(SHOP_URL=SHOP + "/")
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return shopper_of(app)


def test_only_the_shops_origin_may_read_the_answer_with_credentials(shop_browser):
    from_shop = ask(shop_browser, Origin=SHOP)
    assert from_shop.headers["Access-Control-Allow-Origin"] == SHOP
    assert from_shop.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in from_shop.headers["Vary"]
    for other in (
        "https://evil.example",
        "https://shop.example.ng.evil",
        "http://shop.example.ng",
        "https://shop.example.ng:8443",
        "null",
    ):
        answer = ask(shop_browser, Origin=other)
        assert "Access-Control-Allow-Origin" not in answer.headers, other
        assert "Access-Control-Allow-Credentials" not in answer.headers, other


def test_no_origin_may_read_it_when_no_shop_is_configured(shopper):
    answer = ask(shopper, Origin=SHOP)
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_other_pages_say_nothing_to_the_shops_origin(shop_browser):
    page = shop_browser.client.get("/surveys/about-you", headers={"Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_the_invitations_not_now_is_the_survey_pages_not_now_from_the_shops_origin(shop_browser):
    body = ask(shop_browser, Origin=SHOP).get_json()
    sent = shop_browser.client.post(
        body["not_now"]["url"],
        data={"csrf_token": body["not_now"]["csrf_token"]},
        headers={"Origin": SHOP},
    )
    assert sent.status_code == 303
    assert sent.headers["Access-Control-Allow-Origin"] == SHOP
    forget_invited(shop_browser)
    assert ask(shop_browser).get_json()["survey"]["slug"] == "where-you-shop"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://shop.example.ng.evil"])
def test_not_now_from_any_other_origin_is_refused(shop_browser, origin):
    body = ask(shop_browser).get_json()
    sent = shop_browser.client.post(
        body["not_now"]["url"],
        data={"csrf_token": body["not_now"]["csrf_token"]},
        headers={"Origin": origin},
    )
    assert sent.status_code == 400
    assert "Access-Control-Allow-Origin" not in sent.headers
    forget_invited(shop_browser)
    assert ask(shop_browser).get_json()["survey"]["slug"] == "about-you"


def test_only_not_now_accepts_a_post_from_the_shops_origin(shop_browser):
    form = shop_browser.client.get("/surveys/about-you")
    sent = shop_browser.client.post(
        "/surveys/about-you",
        data={"csrf_token": csrf_token(form), "gender": "female"},
        headers={"Origin": SHOP},
    )
    assert sent.status_code == 400


def test_under_the_shops_own_origin_links_and_cookies_stay_under_the_services_prefix(
    make_app, shopper_of
):
    """Served at shop.example/surveys/ behind the shop's proxy (X-Forwarded-Prefix), every
    address carries the prefix and no cookie of ours is sent to the shop's own pages."""
    app = make_app(TRUSTED_PROXIES=1, SHOP_URL="https://shop.example.ng/")
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    browser = shopper_of(app)
    proxied = {"X-Forwarded-Prefix": "/surveys", "X-Forwarded-Host": "shop.example.ng"}
    answer = browser.client.get("/invitation.json", headers=proxied)
    body = answer.get_json()
    assert body["survey"]["url"] == "http://shop.example.ng/surveys/surveys/about-you"
    assert body["not_now"]["url"] == "http://shop.example.ng/surveys/surveys/about-you/not-now"
    cookies = answer.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"invited", "session"}
    assert all("Path=/surveys/" in c for c in cookies), cookies

    page = browser.client.get("/surveys/about-you", headers=proxied).get_data(as_text=True)
    assert 'href="/surveys/shop.css"' in page and 'src="/surveys/static/js/survey.js"' in page
    sent = browser.client.post(
        "/surveys/about-you/not-now",
        data={"csrf_token": body["not_now"]["csrf_token"]},
        headers={**proxied, "Origin": "http://shop.example.ng"},
        environ_overrides={"HTTP_COOKIE": "; ".join(c.split(";")[0] for c in cookies)},
    )
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/surveys/surveys/about-you/not-now"
    assert "Path=/surveys/" in sent.headers["Set-Cookie"]
