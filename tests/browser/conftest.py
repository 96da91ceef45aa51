"""Real-browser fixtures: the app served on a local port, driven by Debian's Chromium.

Without /usr/bin/chromium these tests are skipped with a message saying how to enable them,
unless REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` to run browser tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def _new_page(browser, java_script: bool):  # type: ignore[no-untyped-def]
    # A small, cheap phone's screen.
    context = browser.new_context(
        java_script_enabled=java_script, viewport={"width": 360, "height": 640}
    )
    page = context.new_page()
    page.console_problems = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            message.type in {"error", "warning"} and page.console_problems.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: page.console_problems.append(str(error)))
    return context, page


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A page with JavaScript on."""
    context, page = _new_page(browser, java_script=True)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser):  # type: ignore[no-untyped-def]
    context, page = _new_page(browser, java_script=False)
    yield page
    context.close()
