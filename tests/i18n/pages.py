"""Every page a shopper can read, rendered in one language, and the text a person sees on it."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue, profiles
from tests.consent.consent_helpers import ABOUT_YOU, Customer, csrf_token

#: Attributes a person hears or sees (screen readers read aria-label; alt and title show).
READ_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")


class VisibleText(HTMLParser):
    """The text nodes of a page (its <title> included) and the attributes people read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        self.nodes += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.nodes.append(text)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.nodes


def speaking(client: FlaskClient, language: str) -> FlaskClient:
    client.set_cookie("lang", language)
    return client


def shopper_pages(app: Flask, language: str) -> dict[str, str]:
    """name -> HTML of every page a shopper reads, each made by using the site as one would.

    Covers: the survey list, both default surveys (and one with errors), "Not now", the
    under-18 page, thanks with the consent offer (and its error), thanks after consenting,
    the privacy notice, /me signed-in with consents, reads and receipts, both confirmation
    pages, sign-out, a refused sign-in link, an unknown language and a 404.
    """
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    pages: dict[str, str] = {}

    def keep(name: str, response) -> str:  # type: ignore[no-untyped-def]
        pages[name] = response.get_data(as_text=True)
        return pages[name]

    anonymous = speaking(app.test_client(), language)
    keep("index", anonymous.get("/"))
    for slug in ("about-you", "where-you-shop"):
        keep(f"survey {slug}", anonymous.get(f"/surveys/{slug}"))
    token = csrf_token(anonymous.get("/surveys/about-you"))
    wrong = {"state": "NG-LA", "lga": "NG-KN-01", "gender": "no-such-code", "csrf_token": token}
    keep("survey with errors", anonymous.post("/surveys/about-you", data=wrong))
    token = csrf_token(anonymous.get("/surveys/where-you-shop"))
    anonymous.post("/surveys/where-you-shop/not-now", data={"csrf_token": token})
    keep("not now", anonymous.get("/surveys/where-you-shop/not-now"))
    keep("privacy", anonymous.get("/privacy"))
    keep("me, not signed in", anonymous.get("/me"))
    keep("404", anonymous.get("/no-such-page"))
    keep("unknown language", anonymous.get("/language/xx"))
    keep("sign-in link refused", anonymous.get("/auth/shop"))

    child = speaking(app.test_client(), language)
    token = csrf_token(child.get("/surveys/about-you"))
    keep(
        "under 18",
        child.post("/surveys/about-you", data={"age_band": "under_18", "csrf_token": token}),
    )

    customer = Customer(speaking(app.test_client(), language), app)
    customer.sign_in("cust-i18n")
    customer.submit("about-you", ABOUT_YOU)
    keep("thanks with the offer", customer.client.get("/surveys/about-you/thanks"))
    keep("offer refused", customer.consent([], page="/surveys/about-you/thanks"))
    customer.consent(["state", "lga", "age_band"], page="/surveys/about-you/thanks")
    keep("thanks after consenting", customer.client.get("/surveys/about-you/thanks"))
    customer.change(["state", "age_band", "income_band"])
    with app.app_context():
        for _ in range(3):
            profiles.record_read(db.session, "cust-i18n", "recommender", ["state"], clock.now())
        db.session.commit()
    keep("me, signed in", customer.client.get("/me?done=given"))
    keep("confirm withdrawal", customer.withdraw("delete", confirm=None))
    keep("confirm deleting everything", customer.delete_everything(confirm=None))
    keep("sign out", customer.client.get("/auth/logout"))
    keep("signed out", customer.client.get("/auth/signed-out"))
    return pages
