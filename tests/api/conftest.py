"""Fixtures for the profile API: clients with tokens, and a caller that checks every response
against the OpenAPI document, so the document cannot drift from what the API really does."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

from surveys.api.views import openapi_document
from surveys.extensions import db
from surveys.services import api_clients, profile_changes


@cache
def openapi_spec() -> OpenAPI:
    # openapi-core reads application/json itself; problem+json is JSON too.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(json.loads(openapi_document()), config=config)


class ApiCaller:
    """A client of the API: sends the bearer token and validates each documented response."""

    def __init__(self, app: Flask, token: str | None = None):
        self.client = app.test_client()
        self.token = token

    def _headers(self, token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        token = self.token if token is None else token
        if token:
            sent.setdefault("Authorization", f"Bearer {token}")
        return sent

    def check(self, response: TestResponse, request: Request | None = None) -> TestResponse:
        openapi_spec().validate_response(
            WerkzeugOpenAPIRequest(request or response.request),
            WerkzeugOpenAPIResponse(response),
        )
        return response

    def get(
        self,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        response = self.client.get(path, headers=self._headers(token, headers), **kwargs)
        return self.check(response) if validate else response

    def post(
        self,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        sent = self._headers(token, headers)
        response = self.client.post(path, headers=sent, **kwargs)
        if not validate:
            return response
        # The app read the body the client sent; openapi-core gets a copy of the same request.
        return self.check(
            response,
            EnvironBuilder(
                path, "http://localhost", method="POST", headers=sent, **kwargs
            ).get_request(),
        )


@pytest.fixture
def make_api_client(app: Flask) -> Callable[..., api_clients.NewClient]:
    """Create an API client in the identity store; returns it with its token."""

    def make(
        name: str = "recommender",
        scopes: tuple[str, ...] = api_clients.DEFAULT_SCOPES,
        webhook_url: str | None = None,
        target: Flask | None = None,
    ) -> api_clients.NewClient:
        with (target or app).app_context():
            made = api_clients.create(
                db.session, name, scopes, datetime.now(UTC), webhook_url=webhook_url
            )
            db.session.commit()
            db.session.expunge_all()
            return made

    return make


@pytest.fixture
def token(make_api_client: Callable[..., api_clients.NewClient]) -> str:
    return make_api_client().token


@pytest.fixture
def api(app: Flask, token: str) -> ApiCaller:
    return ApiCaller(app, token)


@pytest.fixture
def record_change(app: Flask) -> Callable[..., int]:
    """Append an event to the change feed, as the consent and answers services do."""

    def record(subject: str, change_type: str = "updated", target: Flask | None = None) -> int:
        with (target or app).app_context():
            change = profile_changes.record(db.session, subject, change_type, datetime.now(UTC))
            db.session.commit()
            return change.cursor

    return record


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 standing in for the recommender's webhook endpoint."""

    url: str
    received: list[Received] = field(default_factory=list)
    #: Statuses to answer with, in turn; 204 once they run out.
    statuses: list[int] = field(default_factory=list)
    #: Where to send a redirect, instead of answering.
    redirect_to: str | None = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (the name http.server calls)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if state.redirect_to:
                self.send_response(307)
                self.send_header("Location", state.redirect_to)
            else:
                self.send_response(state.statuses.pop(0) if state.statuses else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: the test asserts on what arrived instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/surveys"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def make_customer(app: Flask) -> Callable[[], Any]:
    """A shop customer's browser (from the consent tests): signs in, answers, consents."""
    from tests.consent.consent_helpers import Customer

    return lambda: Customer(app.test_client(), app)


@pytest.fixture
def consenting(make_customer: Callable[[], Any]) -> Callable[..., Any]:
    """A signed-in customer who answered "About you" and shared ``attributes``."""
    from tests.consent.consent_helpers import ABOUT_YOU

    def make(subject: str, attributes: list[str], answers: dict[str, str] | None = None) -> Any:
        customer = make_customer()
        customer.sign_in(subject)
        assert customer.submit("about-you", answers or ABOUT_YOU).status_code == 303
        assert customer.consent(attributes).status_code == 303
        return customer

    return make


@pytest.fixture
def feed(app: Flask) -> Callable[[], list[tuple[str, str]]]:
    """The whole change feed as (subject, type), read straight from the service."""

    def read() -> list[tuple[str, str]]:
        with app.app_context():
            page = profile_changes.page(db.session, 0, profile_changes.MAX_PAGE)
            return [(change.subject, change.type) for change in page.changes]

    return read


@pytest.fixture
def store(app: Flask) -> Any:
    """Both stores read directly, as an auditor would; ``reads()`` is the access log."""
    from surveys.models import ProfileRead
    from tests.consent.consent_helpers import Store

    class ApiStore(Store):
        def reads(self) -> list[ProfileRead]:
            return self.rows(ProfileRead)

    return ApiStore(app)


#: The Redis the shared-budget tests count in (CI starts it and says so in REDIS_URL).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def shared_redis() -> Any:
    """A client of the Redis at REDIS_URL. Without one the test is skipped, saying why; where
    REDIS_URL is set (CI), a missing Redis fails the test instead of hiding it."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        if "REDIS_URL" in os.environ:
            pytest.fail(f"REDIS_URL is set but no Redis answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}: start redis-server to run this test")
    return server
