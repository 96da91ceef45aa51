"""The 20 KB budget of a survey page (with its CSS, JS and LGA list) holds in every language,
through the translators' catalogues (until they are merged, the pages fall back to English).

Not through the pseudo-translation: every letter of it takes two bytes in UTF-8, and
"About you" through it is 20,747 bytes, over the budget. How close the real languages come
depends on their text (Yorùbá's tone marks take two or three bytes a letter): this test says
so once the catalogues are in."""

from __future__ import annotations

import re

import pytest

from tests.i18n import catalogues
from tests.test_pages_are_light_and_safe import BUDGET_BYTES, _assets, _size

INVITE_JS = catalogues.ROOT / "static" / "js" / "invite.js"


@pytest.fixture
def client_in(make_app, tmp_path):
    def make(kind: str):  # type: ignore[no-untyped-def]
        if kind == "pseudo":
            language, installed = catalogues.PSEUDO_AS, catalogues.pseudo_catalogue()
        else:
            language, installed = kind, catalogues.real_catalogues()[kind]
        directory = catalogues.install(tmp_path / "t", {language: installed})
        app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))
        from surveys.extensions import db
        from surveys.services import catalogue

        with app.app_context():
            catalogue.load_defaults(db.session)
            db.session.commit()
        client = app.test_client()
        client.set_cookie("lang", language)
        return client

    return make


@pytest.mark.parametrize("kind", catalogues.TRANSLATED)
@pytest.mark.parametrize("slug", ["about-you", "where-you-shop"])
def test_a_survey_page_stays_under_20_kb_in_every_language(client_in, kind, slug):
    client = client_in(kind)
    page = client.get(f"/surveys/{slug}")
    text = page.get_data(as_text=True)
    assert re.search(r'<html lang="(pcm|ha|yo|ig)">', text)
    sizes = {url: _size(client, url) for url in _assets(text)}
    sizes["/lgas.json"] = _size(client, "/lgas.json")
    total = len(page.data) + sum(sizes.values())
    assert total < BUDGET_BYTES, f"{kind}: {total} bytes: page {len(page.data)}, {sizes}"


def test_the_invitation_snippet_stays_under_3_kb_and_has_no_words_of_its_own():
    script = INVITE_JS.read_text("utf-8")
    assert len(script.encode()) <= 3 * 1024
    code = re.sub(r"//.*", "", script)  # its comments may speak English
    for words in ["Not now", "Answer", "quick, optional", "the shop", "Five"]:
        assert words not in code, words
    assert "document.documentElement.lang" in code
