"""The language link in a real browser, JavaScript off: a plain link that re-renders the page
in the chosen language, remembered for the next page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveys.extensions import db
from surveys.services import catalogue
from tests.i18n import catalogues


@pytest.fixture
def app(make_app, tmp_path):  # type: ignore[no-untyped-def]
    """The pseudo-translation installed as Hausa, so that a re-rendered page is visibly
    another language whether or not the real Hausa catalogue is merged yet."""
    directory = catalogues.install(tmp_path / "t", {"ha": catalogues.pseudo_catalogue("ha")})
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def test_the_language_link_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.goto(f"{live_server}/surveys/about-you")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Not now")).to_be_visible()

    languages = page.get_by_role("navigation", name="Language")
    expect(languages.get_by_role("link")).to_have_text(
        ["English", "Naijá (Pidgin)", "Hausa", "Yorùbá", "Igbo"]
    )
    languages.get_by_role("link", name="Hausa").click()

    expect(page).to_have_url(f"{live_server}/surveys/about-you?lang=ha")  # the same page, in Hausa
    expect(page.locator("html")).to_have_attribute("lang", "ha")
    expect(page.get_by_role("button", name=catalogues.pseudo("Not now"))).to_be_visible()
    expect(page.locator("h1")).to_have_text("Game da ku")  # the survey's own Hausa title
    expect(page.get_by_role("link", name="Hausa")).to_have_attribute("aria-current", "true")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "lang"]
    assert cookie["value"] == "ha" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.goto(f"{live_server}/privacy")  # remembered
    expect(page.locator("html")).to_have_attribute("lang", "ha")
    expect(page.locator("h1")).to_have_text(catalogues.pseudo("How we keep your answers"))
    assert page.console_problems == []  # type: ignore[attr-defined]
