"""Fixtures for the attack tests: apps with the default surveys, shop customers' browsers
(see tests/consent), and one fixed day per test. The attackers' tools are in attack.py (the
store copy) and attacks.py (the dashboard)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue
from tests.consent.consent_helpers import Customer


@pytest.fixture
def attack_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def build(**config: Any) -> Flask:
        app = make_app(**config)
        with app.app_context():
            catalogue.load_defaults(db.session)
            db.session.commit()
        return app

    return build


@pytest.fixture
def make_customer(app: Flask) -> Callable[[], Customer]:
    """A browser of its own, which can sign in from the shop."""
    return lambda: Customer(app.test_client(), app)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step of an attack sees the same weeks, even if the suite crosses midnight (the
    store-copy attack moves the clock itself, inside attack.py, and puts it back)."""
    today = clock.today()
    monkeypatch.setattr(clock, "today", lambda: today)
