"""Fixtures for the dashboard tests; the helpers they use are in dashboard_helpers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dashboard_helpers import make_respond, make_staff_in, sign_in
from flask import Flask
from flask.testing import FlaskClient

from surveys.extensions import db
from surveys.services import catalogue


@pytest.fixture
def dashboard_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """An app with the default surveys; config overrides as keyword arguments."""

    def build(**config: Any) -> Flask:
        app = make_app(**config)
        with app.app_context():
            catalogue.load_defaults(db.session)
            db.session.commit()
        return app

    return build


@pytest.fixture
def respond(app: Flask) -> Callable[..., list[str]]:
    return make_respond(app)


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., str]:
    return lambda role="analyst", email=None: make_staff_in(app, role, email)


@pytest.fixture
def staff_client(app: Flask, make_staff: Callable[..., str]) -> Callable[[str], FlaskClient]:
    """A browser signed in as a new staff member with ``role``."""

    def make(role: str = "analyst") -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, make_staff(role))
        assert response.status_code == 303
        return client

    return make


@pytest.fixture
def analyst(staff_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return staff_client("analyst")
