"""The consent screens in a real Chromium: the DEMO shop signs shoppers in.

The browser and the live server come from tests/browser/conftest.py.
"""

from __future__ import annotations

import pytest

from surveys.extensions import db
from surveys.services import catalogue


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    """The app with DEMO on (its stand-in shop page signs shoppers in) and the default surveys."""
    app = make_app(DEMO=True)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages about the Content Security Policy: there must be none."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):  # type: ignore[no-untyped-def]
    """A fresh browser context (its own cookies), as a new visitor."""
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    page = context.new_page()

    def watch(message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", watch)
    yield page
    context.close()
