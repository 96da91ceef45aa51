"""No English left: every page a shopper reads, rendered in each language, shows none of the
English of our catalogue (bar proper nouns: states, LGAs, the shop, the languages' names).

Run twice over: through a pseudo-translation of messages.pot (meaningful today: it fails when
a string on a shopper page is not marked for translation), and through the real pcm, ha, yo
and ig catalogues (it fails while a translation is missing: until the translators' catalogues
are merged, that is expected).
"""

from __future__ import annotations

import re

import pytest
import yaml
from babel import Locale

from surveys import reference
from surveys.i18n import LANGUAGES
from tests.i18n import catalogues
from tests.i18n.pages import shopper_pages, speaking, visible_text

#: Proper nouns that stay as written in every language.
ALLOWED = {
    *LANGUAGES.values(),
    *(state.name for state in reference.geography().states.values()),
    *(lga.name for lga in reference.geography().lgas.values()),
    "ndpc.gov.ng",
    "WAT",
}


def _survey_english() -> set[str]:
    """The default surveys' English titles and intros: stored, not in the catalogue."""
    text = (catalogues.ROOT / "surveys/reference/data/default_surveys.yaml").read_text("utf-8")
    return {
        value.rstrip(".")
        for survey in yaml.safe_load(text)["surveys"]
        for value in (survey["title"], survey["intro"])
    }


#: Words a language writes just as English does (Pidgin's loanwords, say), each agreed by a
#: reviewer: a text node that is exactly one of these is not "English left". Empty until the
#: translations are merged and read (docs/languages.md).
SAME_AS_ENGLISH: dict[str, set[str]] = {"pcm": set(), "ha": set(), "yo": set(), "ig": set()}

FRAGMENTS = catalogues.english_fragments() | _survey_english()
MONTHS = set(Locale.parse("en").months["format"]["wide"].values())


def english_in(nodes: list[str], allowed: set[str]) -> list[str]:
    """The text nodes that are, or hold, English from the catalogue."""
    found = []
    for node in nodes:
        bare = node.strip(" .,:;!?()“”\"'·")
        if not bare or bare in allowed:
            continue
        if bare in FRAGMENTS or any(month in node.split() for month in MONTHS):
            found.append(node)
            continue
        # Longer English (two words or more) inside a node: an unmarked sentence in a string.
        found += [
            f"{node!r} holds {fragment!r}"
            for fragment in FRAGMENTS
            if " " in fragment and fragment in node
        ]
    return found


@pytest.fixture
def app_in(make_app, tmp_path):
    """An app whose catalogues are ``kind``: "pseudo" (installed as Yorùbá) or the real ones."""

    def make(kind: str):  # type: ignore[no-untyped-def]
        if kind == "pseudo":
            installed = {catalogues.PSEUDO_AS: catalogues.pseudo_catalogue()}
        else:
            installed = {kind: catalogues.real_catalogues()[kind]}
        directory = catalogues.install(tmp_path / "translations", installed)
        app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory), SHOP_NAME="Mama Put Stores")
        return app, catalogues.PSEUDO_AS if kind == "pseudo" else kind

    return make


@pytest.mark.parametrize("kind", ["pseudo", *catalogues.TRANSLATED])
def test_no_shopper_page_shows_english(app_in, kind):
    app, language = app_in(kind)
    allowed = ALLOWED | {"Mama Put Stores", app.config["CONSENT_CONTROLLER"]}
    allowed |= SAME_AS_ENGLISH.get(kind, set())
    pages = shopper_pages(app, language)
    left = {
        name: english
        for name, html in pages.items()
        if (english := english_in(visible_text(html), allowed))
    }
    assert not left, f"English left on {len(left)} page(s) in {kind}: {left}"
    for name, html in pages.items():
        assert f'<html lang="{language}">' in html, name


@pytest.mark.parametrize("kind", ["pseudo", *catalogues.TRANSLATED])
def test_the_invitation_speaks_the_shop_pages_language(app_in, kind):
    app, language = app_in(kind)
    shopper_pages(app, language)  # loads the surveys
    browser = app.test_client()  # no language cookie: the shop page's lang decides
    body = browser.get(f"/invitation.json?lang={language}-NG").get_json()
    assert body["invite"] is True and body["lang"] == language
    words = [*body["text"].values(), body["survey"]["title"]]
    left = english_in(words, ALLOWED | {"Mama Put Stores"})
    assert not left, f"English left in the invitation in {kind}: {left}"
    # The survey link carries the language on: the survey opens in it.
    assert body["survey"]["url"].endswith(f"?lang={language}")


def test_the_check_finds_an_unmarked_string():
    """The detector itself: a lone English label, English inside a translated sentence and
    an English month are caught; a translation and proper nouns are not."""
    assert english_in(["Back to the shop"], set()) == ["Back to the shop"]
    mixed = english_in(["Ẹ padà sí ọjà. Thank you for answering."], set())
    assert "'Ẹ padà sí ọjà. Thank you for answering.' holds 'Thank you'" in mixed
    assert english_in(["3 December 2026 at 14:05 WAT"], set())
    assert not english_in([catalogues.pseudo("Back to the shop"), "Lagos", "Ikeja"], ALLOWED)


def test_rendering_a_page_twice_in_two_languages_gives_each_its_own(app_in):
    app, language = app_in("pseudo")
    shopper_pages(app, language)
    english = app.test_client().get("/privacy").get_data(as_text=True)
    pseudo = speaking(app.test_client(), language).get("/privacy").get_data(as_text=True)
    assert "How we keep your answers" in english and '<html lang="en">' in english
    assert catalogues.pseudo("How we keep your answers") in pseudo
    assert re.search(r"How we keep", pseudo) is None
