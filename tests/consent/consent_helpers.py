"""Signed-in shoppers in tests: the shop's tokens, a customer's browser, and the stores."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from surveys.extensions import db
from surveys.models import (
    ConsentLink,
    ConsentRecord,
    Dismissal,
    FunnelCount,
    Response,
    ShopperSession,
)
from surveys.models.answers import JournalEntry
from surveys.services.respondents import unsign
from tests.conftest import settle_now

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

ABOUT_YOU = {
    "state": "NG-LA",
    "lga": "NG-LA-11",  # Ikeja
    "age_band": "age_25_34",
    "income_band": "income_150k_300k",
    "gender": "female",
}


def shop_token(app: Flask, subject: str = "cust-1001", **overrides: Any) -> str:
    """A hand-off token as the shop makes it; ``overrides`` change or (with None) drop claims."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": "surveys",
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(16),
    }
    key = overrides.pop("key", app.config["SHOP_SIGNING_KEY"])
    algorithm = overrides.pop("algorithm", "HS256")
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm)


def csrf_token(page: TestResponse) -> str:
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


def offer_action(page: str) -> str:
    """Where the offer on ``page`` is sent: a thank-you page's offer goes back to that page."""
    return "/me/consent" if page == "/me" else page


class Customer:
    """A shop customer's browser: signs in with the shop's token, answers, uses the forms."""

    def __init__(self, client: FlaskClient, app: Flask):
        self.client = client
        self.app = app

    def submit(self, slug: str, answers: dict[str, str]) -> TestResponse:
        token = csrf_token(self.client.get(f"/surveys/{slug}"))
        return self.client.post(f"/surveys/{slug}", data={"csrf_token": token, **answers})

    def respondent_key(self) -> str | None:
        cookie = self.client.get_cookie("respondent")
        return unsign(self.app.config["SECRET_KEY"], cookie.value) if cookie else None

    def sign_in(self, subject: str = "cust-1001", next: str = "/") -> TestResponse:
        return self.client.get(
            "/auth/shop", query_string={"token": shop_token(self.app, subject), "next": next}
        )

    def session_cookie(self) -> str | None:
        cookie = self.client.get_cookie("signin")
        return cookie.value if cookie else None

    def consent(self, attributes: list[str], *, page: str = "/me") -> TestResponse:
        """Tick ``attributes`` in the offer on ``page`` (``/me`` or a thank-you page), "Yes"."""
        token = csrf_token(self.client.get(page))
        data = {"csrf_token": token, "attributes": attributes, "answer": "yes"}
        return self.client.post(offer_action(page), data=data)

    def decline(self, page: str = "/me") -> TestResponse:
        token = csrf_token(self.client.get(page))
        return self.client.post(offer_action(page), data={"csrf_token": token, "answer": "no"})

    def change(self, attributes: list[str]) -> TestResponse:
        token = csrf_token(self.client.get("/me"))
        data = {"csrf_token": token, "attributes": attributes}
        return self.client.post("/me/consent/change", data=data)

    def withdraw(self, answers: str, confirm: str | None = "yes") -> TestResponse:
        """Press a withdraw button; deleting the answers then asks again, and ``confirm``
        answers that ("yes", "no", or None to stop at the question)."""
        token = csrf_token(self.client.get("/me"))
        data = {"csrf_token": token, "answers": answers}
        if confirm is not None:
            data["confirm"] = confirm
        return self.client.post("/me/consent/withdraw", data=data)

    def delete_everything(self, confirm: str | None = "yes") -> TestResponse:
        """Press "Delete everything", then answer the question that follows (as above)."""
        token = csrf_token(self.client.get("/me"))
        data = {"csrf_token": token}
        if confirm is not None:
            data["confirm"] = confirm
        return self.client.post("/me/delete", data=data)

    def me(self) -> str:
        return self.client.get("/me").get_data(as_text=True)


class Store:
    """Reads both stores directly, as an auditor would."""

    def __init__(self, app: Flask):
        self.app = app

    def rows(self, model: type) -> list[Any]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(model)))
            db.session.expunge_all()
            return rows

    def records(self) -> list[ConsentRecord]:
        return sorted(self.rows(ConsentRecord), key=lambda record: record.given_at)

    def links(self) -> list[ConsentLink]:
        return self.rows(ConsentLink)

    def responses(self) -> list[Response]:
        """The clear answer rows once the nightly settle has run (today's visits included)."""
        settle_now(self.app)
        return self.rows(Response)

    def sessions(self) -> list[ShopperSession]:
        return self.rows(ShopperSession)

    def answers_snapshot(self) -> list[tuple[Any, ...]]:
        """Every row of every answers-store table a visit can write (the sealed journal
        too), to show that consent changes none of them."""
        with self.app.app_context():
            snapshot = []
            for model in (Response, Dismissal, FunnelCount, JournalEntry):
                for row in db.session.scalars(select(model)):
                    snapshot.append(
                        tuple(getattr(row, column.key) for column in model.__table__.columns)
                    )
            return sorted(snapshot, key=repr)
