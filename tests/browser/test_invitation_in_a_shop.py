"""The invitation snippet on a stand-in shop page, served by the test on another port under a
strict CSP: a shopper is invited, answers, comes back to the shop page and is not invited
again; another says "Not now" and is not invited again within the period."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from surveys.extensions import db
from surveys.services import catalogue
from tests.browser.axe import CSP_BYPASS, axe_violations
from tests.browser.pages import SurveyPage
from tests.consent.consent_helpers import shop_token

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Phones · Mama Put Stores</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{service}/static/js/invite.js"{sign_in} defer></script></head>
<body><main><h1>Phones</h1><p>Tecno Spark 20, ₦180,000.</p></main></body></html>
"""


@dataclass
class Servers:
    shop: str
    service: str


def _serve(wsgi_app) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def servers(make_app) -> Iterator[Servers]:  # type: ignore[no-untyped-def]
    """The shop on one port (only its page and the snippet, under a strict CSP that allows
    nothing but the service's origin), the service on another, with SHOP_URL the shop's."""
    where: dict = {}  # type: ignore[type-arg]

    @Request.application
    def shop(request: Request) -> Response:
        service = where["service"]
        if request.path == "/account/surveys":
            # The shop's hand-over page: its server signs its customer in to the service.
            token = shop_token(where["app"], "cust-1001")
            query = {"token": token, "next": request.args["next"]}
            return redirect(f"{service}/auth/shop?{urlencode(query)}")
        # A customer signed in to the shop (here: any page under /signed-in/) gets the
        # snippet with the hand-over page named; anyone else, without.
        signed_in = request.path.startswith("/signed-in/")
        sign_in = ' data-sign-in="/account/surveys"' if signed_in else ""
        page = SHOP_PAGE.format(service=service, sign_in=sign_in)
        response = Response(page, content_type="text/html")
        response.headers["Content-Security-Policy"] = "; ".join(
            [
                "default-src 'none'",
                f"script-src {service}",
                f"style-src {service}",
                f"img-src {service}",
                f"connect-src {service}",
                "form-action 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
                "require-trusted-types-for 'script'",
            ]
        )
        return response

    shop_server, shop_url = _serve(shop)
    app = where["app"] = make_app(SHOP_URL=shop_url + "/", SHOP_NAME="Mama Put Stores")
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    service_server, where["service"] = _serve(app)
    yield Servers(shop=shop_url, service=where["service"])
    for server in (service_server, shop_server):
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]


class ShopPage:
    """A page of the stand-in shop, and the invitation the snippet puts on it."""

    def __init__(self, page: Page, servers: Servers, path: str = "/phones?colour=blue"):
        self.page, self.url = page, servers.shop + path
        self.invitation = page.get_by_role("region", name="quick, optional question")

    def open(self) -> ShopPage:
        with self.page.expect_response(lambda r: "/invitation.json?" in r.url):
            self.page.goto(self.url)
        self.page.wait_for_load_state("networkidle")
        return self

    def answer(self) -> None:
        self.invitation.get_by_role("link", name="Answer").click()

    def not_now(self) -> None:
        with self.page.expect_response(lambda r: r.url.endswith("/not-now")):
            self.invitation.get_by_role("button", name="Not now").click()

    def forget_being_invited(self) -> None:
        """As if INVITE_EVERY_DAYS had passed: the browser drops the expired cookie."""
        self.page.context.clear_cookies(name="invited")


def test_a_shopper_is_invited_answers_and_returns_to_the_shop_page_not_invited_again(page, servers):
    shop = ShopPage(page, servers).open()
    expect(shop.invitation).to_have_text(
        "Five quick, optional questions to tailor Mama Put StoresAnswerNot now"
    )
    page.keyboard.press("Tab")  # the invitation comes first in the tab order
    expect(shop.invitation.get_by_role("link", name="Answer")).to_be_focused()
    shop.answer()

    survey = SurveyPage(page, servers.service, "about-you")
    survey.choose("gender", "Female")
    survey.send()
    expect(page.locator("h1")).to_have_text("Thank you")
    page.get_by_role("link", name="Back to the shop").click()
    expect(page).to_have_url(shop.url)

    page.wait_for_load_state("networkidle")
    expect(shop.invitation).to_have_count(0)
    shop.open()
    expect(shop.invitation).to_have_count(0)
    # After INVITE_EVERY_DAYS: the next survey, never the one answered.
    shop.forget_being_invited()
    shop.open()
    expect(shop.invitation).to_contain_text("Two quick, optional questions")
    assert page.console_problems == []  # nothing refused by the shop's CSP


def test_a_shopper_says_not_now_and_is_not_invited_again_within_the_period(page, servers):
    shop = ShopPage(page, servers).open()
    shop.invitation.wait_for()  # drawn (and listening for Escape) once invitation.json is read
    page.keyboard.press("Escape")  # closes it, for this page only
    expect(shop.invitation).to_have_count(0)
    shop.forget_being_invited()

    shop.open()
    expect(shop.invitation).to_contain_text("Five quick, optional questions")
    shop.not_now()
    expect(shop.invitation).to_have_count(0)
    assert page.url == shop.url  # the shopper stays where they were
    shop.open()
    expect(shop.invitation).to_have_count(0)
    # Even once the invitation period is over, that survey stays put off for NOT_NOW_DAYS.
    shop.forget_being_invited()
    shop.open()
    expect(shop.invitation).to_contain_text("Two quick, optional questions")
    # The survey page agrees: the same "Not now".
    page.goto(f"{servers.service}/")
    assert page.url.endswith("/surveys/where-you-shop")
    assert page.console_problems == []


def test_a_signed_in_customer_is_handed_over_by_the_shop_and_offered_personalisation(page, servers):
    shop = ShopPage(page, servers, "/signed-in/phones").open()
    shop.answer()
    # In the shop page's language (<html lang="en">), back to the shop page afterwards.
    expect(page).to_have_url(
        re.compile("^" + re.escape(f"{servers.service}/surveys/about-you?lang=en&return_to="))
    )
    survey = SurveyPage(page, servers.service, "about-you")
    survey.choose("gender", "Female")
    survey.send()
    expect(page.locator("#consent-offer")).to_be_visible()  # only signed-in shoppers see it
    page.get_by_role("link", name="Back to the shop").click()
    expect(page).to_have_url(shop.url)
    assert page.console_problems == []


def test_the_invitation_passes_axe_on_the_shop_page(browser, servers):
    context = browser.new_context(**CSP_BYPASS, viewport={"width": 360, "height": 640})
    page = context.new_page()
    shop = ShopPage(page, servers).open()
    expect(shop.invitation).to_be_visible()
    assert axe_violations(page, "#svy-invite") == []
    context.close()
