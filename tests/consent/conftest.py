"""Fixtures for signed-in shoppers; the helpers themselves are in ``consent_helpers``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from consent_helpers import Customer, Store
from flask import Flask


@pytest.fixture
def customer(app: Flask) -> Customer:
    return Customer(app.test_client(), app)


@pytest.fixture
def make_customer(app: Flask) -> Callable[[], Customer]:
    """Another browser of the same service."""
    return lambda: Customer(app.test_client(), app)


@pytest.fixture
def store(app: Flask) -> Store:
    return Store(app)
