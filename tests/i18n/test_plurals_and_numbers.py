"""Counted things take the plural form CLDR gives each language, through the catalogue the
page uses; money and counts are written the way each language writes numbers."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from flask_babel import force_locale, format_number, gettext, ngettext

from surveys.i18n import naira
from tests.i18n import catalogues

COUNTS = (0, 1, 2, 5)
QUESTIONS = ("%(count)s question", "%(count)s questions")
#: Which plural form (msgstr index) each count takes, by CLDR's rules: Pidgin's singular is
#: 0 and 1 ("i = 0 or n = 1"), Hausa's 1 alone, Yorùbá and Igbo have one form for all.
EXPECTED_FORM = {
    "pcm": (0, 0, 1, 1),
    "ha": (1, 0, 1, 1),
    "yo": (0, 0, 0, 0),
    "ig": (0, 0, 0, 0),
    "en": (1, 0, 1, 1),
}


def forms_catalogue(language: str) -> Catalog:
    """A tiny catalogue whose plural forms say which they are: "form 0: %(count)s", ..."""
    catalogue = Catalog(locale=language)
    strings = tuple(f"form {i}: %(count)s" for i in range(catalogue.num_plurals))
    catalogue.add(QUESTIONS, strings)
    return catalogue


@pytest.fixture
def app_with(make_app, tmp_path):
    def make(installed: dict[str, Catalog]):  # type: ignore[no-untyped-def]
        directory = catalogues.install(tmp_path / "t", installed)
        return make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))

    return make


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_each_count_takes_its_languages_plural_form(app_with, language):
    app = app_with({language: forms_catalogue(language)})
    with app.test_request_context(), force_locale(language):
        shown = [ngettext(*QUESTIONS, n, count=n) for n in COUNTS]
    assert shown == [f"form {f}: {n}" for f, n in zip(EXPECTED_FORM[language], COUNTS, strict=True)]


def test_english_needs_no_catalogue(app_with):
    app = app_with({})
    with app.test_request_context(), force_locale("en"):
        assert [ngettext(*QUESTIONS, n, count=n) for n in COUNTS] == [
            "0 questions", "1 question", "2 questions", "5 questions",
        ]  # fmt: skip


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_the_real_catalogue_has_a_translation_for_each_count(app_with, language):
    """Through the translators' catalogue: every count of "N questions" on the survey list is
    translated and shows its number. (Fails until the translations are merged.)"""
    catalogue = catalogues.real_catalogues()[language]
    app = app_with({language: catalogue})
    msgid = ("%(count)s question", "%(count)s questions")
    message = catalogue.get(msgid)
    assert message is not None and all(message.string), f"{language}: {msgid} not translated"
    with app.test_request_context(), force_locale(language):
        for n, form in zip(COUNTS, EXPECTED_FORM[language], strict=True):
            shown = ngettext(*msgid, n, count=n)
            assert shown == message.string[form] % {"count": n}
            assert str(n) in shown and shown not in msgid


@pytest.mark.parametrize(
    ("language", "under", "top"),
    [
        ("en", "₦70,000", "₦1,000,000"),
        ("pcm", "₦70,000", "₦1,000,000"),
        ("ha", "₦\xa070,000", "₦\xa01,000,000"),
        ("yo", "₦70,000", "₦1,000,000"),
        ("ig", "₦70,000", "₦1,000,000"),
    ],
)
def test_naira_amounts_are_written_the_languages_way(app_with, language, under, top):
    app = app_with({})
    with app.test_request_context(), force_locale(language):
        assert (naira(70_000), naira(1_000_000)) == (under, top)
        assert format_number(1234567) == "1,234,567"


def test_the_income_bands_on_the_survey_page_use_the_languages_amounts(client):
    client.set_cookie("lang", "ha")
    page = client.get("/surveys/about-you").get_data(as_text=True)
    with client.application.test_request_context(), force_locale("ha"):
        band = gettext("%(low)s – %(high)s", low="₦\xa070,000", high="₦\xa0149,999")
    assert band != "₦\xa070,000 – ₦\xa0149,999"  # Hausa writes the range its own way
    assert band in page
    client.set_cookie("lang", "en")
    page = client.get("/surveys/about-you").get_data(as_text=True)
    assert "₦70,000 – ₦149,999" in page and "Under ₦70,000" in page


def test_the_dashboard_keeps_its_english_labels_whatever_a_shopper_chose(app, client):
    """The income bands are cached for the dashboard in English, even when a Hausa page
    asked for them first."""
    from surveys.services.reporting import tables

    tables.categories.cache_clear()
    client.set_cookie("lang", "ha")
    with app.test_request_context(headers={"Cookie": "lang=ha"}):
        labels = tables.categories("income_band")
    assert labels["income_70k_150k"] == "₦70,000 – ₦149,999"
    assert labels["prefer_not_to_say"] == "Prefer not to say"
