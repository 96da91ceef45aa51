"""Fixtures for the privacy attacks: shop customers' browsers (see tests/consent)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.consent.consent_helpers import Customer


@pytest.fixture
def make_customer(app: Flask) -> Callable[[], Customer]:
    """A browser of its own, which can sign in from the shop."""
    return lambda: Customer(app.test_client(), app)
