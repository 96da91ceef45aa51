"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``runner`` and factories.

Every test gets fresh, empty stores. Tests that take ``app`` run on SQLite, and once more on
PostgreSQL when ``TEST_DATABASE_URL`` is set (``.ci/run`` sets it). CSRF stays on: the
``shopper`` helper reads each form's token from the page, as a browser would.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import MetaData, delete, select
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from surveys import clock, create_app
from surveys.api import connections
from surveys.extensions import db
from surveys.models import Response, Survey
from surveys.services import catalogue, retention
from surveys.services.answers import journal
from surveys.services.answers import settle as settle_service
from surveys.services.consent import cipher_for

BINDS = ("answers", "identity")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
#: Prefix of the PostgreSQL databases the suite creates; set it to run two checkouts at once.
#: Each pytest-xdist worker (gw0, gw1, ...) gets databases of its own.
TEST_DATABASE_PREFIX = "_".join(
    part
    for part in (
        os.environ.get("TEST_DATABASE_PREFIX", "surveys_test"),
        os.environ.get("PYTEST_XDIST_WORKER", ""),
    )
    if part
)
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def _database_url(url: str, database: str, driver: str = "postgresql+psycopg") -> str:
    return make_url(url).set(drivername=driver, database=database).render_as_string(False)


@pytest.fixture(scope="session")
def postgres_binds() -> dict[str, str]:
    """Two PostgreSQL databases, as in production: one per store.

    Made afresh for every run: the server outlives the suite, and tables an earlier revision of
    the code left behind (which the models no longer know, so ``drop_all`` would not drop) must
    not decide whether this run passes.
    """
    import psycopg

    admin_url = _database_url(
        TEST_DATABASE_URL, make_url(TEST_DATABASE_URL).database or "test", "postgresql"
    )
    names = {bind: f"{TEST_DATABASE_PREFIX}_{bind}" for bind in BINDS}
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    return {bind: _database_url(TEST_DATABASE_URL, name) for bind, name in names.items()}


@pytest.fixture(params=BACKENDS)
def database_binds(request: pytest.FixtureRequest, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return {bind: f"sqlite:///{tmp_path / bind}.db" for bind in BINDS}
    return request.getfixturevalue("postgres_binds")


@pytest.fixture
def make_app(database_binds: dict[str, str]) -> Iterator[Callable[..., Flask]]:
    """A factory for apps on this test's empty stores, with extra config.

    Every app of one test shares the stores and so the sealing key of the answers journal,
    as every instance of one deployment must: an app with another key could not read the
    entries the first one sealed. (A test about keys passes its own.)
    """
    made: list[Flask] = []
    sealing_key = Fernet.generate_key().decode()

    def factory(create_schema: bool = True, **config: Any) -> Flask:
        settings = {
            "TESTING": True,
            "SURVEYS_ENV": "test",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SQLALCHEMY_BINDS": dict(database_binds),
            "RATELIMIT_ENABLED": False,
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ANSWERS_SEALING_KEY": sealing_key,
            **config,
        }
        app = create_app(settings)
        if create_schema:
            with app.app_context():
                db.drop_all(bind_key=list(BINDS))
                db.create_all(bind_key=list(BINDS))
        made.append(app)
        return app

    yield factory
    for app in made:
        connections.dispose_engines(app)
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def empty_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose stores are truly empty: no tables, no alembic_version, for migrations."""
    app = make_app(create_schema=False)
    with app.app_context():
        for bind in BINDS:
            existing = MetaData()
            existing.reflect(db.engines[bind])
            existing.drop_all(db.engines[bind])
    return app


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app with the default surveys loaded."""
    app = make_app()
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(page: TestResponse) -> str:
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_from() -> Callable[[TestResponse], str]:
    """Read the CSRF token out of a page."""
    return csrf_token


class Shopper:
    """A shopper's browser without JavaScript: fetches each form, then posts it with its token."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def open(self, slug: str) -> TestResponse:
        return self.client.get(f"/surveys/{slug}")

    def submit(self, slug: str, answers: dict[str, str], **extra: str) -> TestResponse:
        token = csrf_token(self.open(slug))
        return self.client.post(f"/surveys/{slug}", data={"csrf_token": token, **answers, **extra})

    def post_action(self, page_url: str, action_url: str, **data: str) -> TestResponse:
        token = csrf_token(self.client.get(page_url))
        return self.client.post(action_url, data={"csrf_token": token, **data})

    def not_now(self, slug: str) -> TestResponse:
        return self.post_action(f"/surveys/{slug}", f"/surveys/{slug}/not-now")

    def respondent_cookie(self) -> str | None:
        cookie = self.client.get_cookie("respondent")
        return cookie.value if cookie else None


@pytest.fixture
def shopper(client: FlaskClient) -> Shopper:
    return Shopper(client)


@pytest.fixture
def make_shopper(app: Flask) -> Callable[[], Shopper]:
    """Another browser: its own cookies, the same service."""
    return lambda: Shopper(app.test_client())


@pytest.fixture
def shopper_of() -> Callable[[Flask], Shopper]:
    """A browser for an app made with ``make_app``."""
    return lambda app: Shopper(app.test_client())


def settle_now(
    app: Flask, *, include_today: bool = True, release: bool = False, clear_remnants: bool = True
) -> settle_service.Settled:
    """Run the nightly settle, as ``flask answers settle`` does; by default today's entries
    too, so that what a test's visits did reaches the clear rows without waiting a day, and
    without releasing the dashboard's weeks (``release=True`` does, as the nightly run does):
    a test that adds answers in several steps releases once, when it has them all."""
    with app.app_context():
        keep = retention.linked_respondent_hashes(
            db.session, cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        )
        return settle_service.settle(
            db.session,
            clock.today(),
            sealer=journal.sealer(),
            retention_days=app.config["ANSWER_RETENTION_DAYS"],
            keep=keep,
            include_today=include_today,
            run_hooks=release,
            clear_remnants=clear_remnants,
        )


@pytest.fixture
def settle(app: Flask) -> Callable[..., settle_service.Settled]:
    """``settle()``: the nightly settle, today's entries included (see :func:`settle_now`)."""
    return lambda **options: settle_now(app, **options)


@pytest.fixture
def stored_responses(app: Flask) -> Callable[[], list[Response]]:
    """Read the answers store directly, as an auditor would, once the settle has written
    what the visits so far did."""

    def read() -> list[Response]:
        settle_now(app)
        with app.app_context():
            rows = list(db.session.scalars(select(Response)))
            db.session.expunge_all()
            return rows

    return read


@pytest.fixture
def set_survey(app: Flask) -> Callable[..., None]:
    """Change a survey's fields directly, e.g. ``set_survey('about-you', active=False)``."""

    def change(slug: str, **fields: Any) -> None:
        with app.app_context():
            survey = db.session.scalars(select(Survey).where(Survey.slug == slug)).one()
            for name, value in fields.items():
                setattr(survey, name, value)
            db.session.commit()

    return change


@pytest.fixture
def only_survey(app: Flask) -> Callable[[str], None]:
    """Remove every survey but one."""

    def keep(slug: str) -> None:
        with app.app_context():
            db.session.execute(delete(Survey).where(Survey.slug != slug))
            db.session.commit()

    return keep


def wait_for_a_fresh_rate_window(seconds_needed: float = 12.0, window: float = 60.0) -> None:
    """Sleep until the rate limiter's current window has ``seconds_needed`` left.

    Limits are counted in fixed windows of wall-clock time (the sliding-window counter weighs
    the previous window by how much of it is left), so requests that straddle a boundary are
    counted a little short and one more may get through. A test that counts requests up to a
    limit starts early enough in a window that all of them fall in it, and is then exact.
    """
    import time

    left = window - time.time() % window
    if left < seconds_needed:
        time.sleep(left + 0.05)
