"""Fixtures for the attack tests; the attacker's tools are in attacks.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from surveys import clock
from surveys.extensions import db
from surveys.services import catalogue


@pytest.fixture
def attack_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def build(**config: Any) -> Flask:
        app = make_app(**config)
        with app.app_context():
            catalogue.load_defaults(db.session)
            db.session.commit()
        return app

    return build


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step of an attack sees the same weeks, even if the suite crosses midnight."""
    today = clock.today()
    monkeypatch.setattr(clock, "today", lambda: today)
