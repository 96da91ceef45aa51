"""The dashboard in the shared Chromium, served with the app it is given."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def live_server(make_app) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """The app served on a free local port, in a thread; yields (base URL, app)."""
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser_page(browser):  # type: ignore[no-untyped-def]
    """A wide page in the shared Chromium (tests/browser/conftest.py)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
