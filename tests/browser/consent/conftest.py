"""A live server and a real Chromium for the consent screens.

Minimal on purpose: the lead's tests/browser/conftest.py will replace the live-server part.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from surveys import create_app
from surveys.extensions import db
from surveys.services import catalogue

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--headless",
]


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The app with DEMO on, serving on a free local port; yields its base URL."""
    app = create_app(
        {
            "TESTING": True,
            "SURVEYS_ENV": "test",
            "DEMO": True,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SHOP_SIGNING_KEY": secrets.token_urlsafe(32),
            "LINK_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SQLALCHEMY_BINDS": {
                bind: f"sqlite:///{tmp_path / bind}.db" for bind in ("answers", "identity")
            },
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all(bind_key=["answers", "identity"])
        catalogue.load_defaults(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages about the Content Security Policy: there must be none."""
    return []


@pytest.fixture
def page(chromium, live_server, csp_violations):  # type: ignore[no-untyped-def]
    """A fresh browser context (its own cookies), as a new visitor."""
    context = chromium.new_context(base_url=live_server, accept_downloads=True)
    page = context.new_page()

    def watch(message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", watch)
    yield page
    context.close()
