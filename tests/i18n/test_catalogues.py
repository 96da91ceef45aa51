"""The catalogues themselves: messages.pot holds every marked string, and each language's
catalogue translates all of it, keeps its placeholders, and has the plural forms CLDR gives.

The completeness test fails until the translators' catalogues are merged: the catalogues in
this branch were created empty for them (docs/languages.md).
"""

from __future__ import annotations

import re

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural

from tests.i18n import catalogues

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
#: Markup in a string: tags with their attributes, and entities. A translation keeps its
#: msgid's exactly, since what the catalogue says is rendered as HTML.
MARKUP = re.compile(r"<[^>]*>|&[a-zA-Z#0-9]+;")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_messages_pot_holds_every_string_marked_in_the_code(tmp_path, monkeypatch):
    """Nobody forgot `make translations` after marking a string."""
    fresh = tmp_path / "fresh.pot"
    monkeypatch.chdir(catalogues.ROOT)
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-wrap", "-o", str(fresh), "."]
    )  # fmt: skip
    marked = {m.id for m in catalogues.read_catalogue(fresh) if m.id}
    extracted = {m.id for m in catalogues.read_catalogue(catalogues.POT) if m.id}
    assert marked - extracted == set(), "run `make translations`"
    assert extracted - marked == set(), "run `make translations`"


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_the_plural_forms_are_cldrs(language):
    """Babel writes each catalogue's Plural-Forms from CLDR: Hausa and Pidgin have two forms
    (Pidgin's singular covers 0 and 1), Yorùbá and Igbo one."""
    catalogue = catalogues.real_catalogues()[language]
    rule = get_plural(Locale.parse(language))
    assert catalogue.num_plurals == rule.num_plurals
    assert catalogue.plural_expr == rule.plural_expr


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_every_catalogue_is_complete(language):
    """Every msgid of messages.pot has a non-empty, non-fuzzy msgstr, in every plural form,
    with the same placeholders. (Fails until the translations are merged.)"""
    template = [m.id for m in catalogues.read_catalogue(catalogues.POT) if m.id]
    problems = catalogue_problems(template, catalogues.real_catalogues()[language])
    assert not problems, f"{language}: {len(problems)} problem(s): {problems[:20]}"


def catalogue_problems(template: list, catalogue: Catalog) -> list[str]:  # type: ignore[type-arg]
    problems = []
    for msgid in template:
        message = catalogue.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            problems.append(f"untranslated{' (fuzzy)' if message.fuzzy else ''}: {msgid!r}")
            continue
        if isinstance(msgid, tuple) and len(strings) != catalogue.num_plurals:
            problems.append(f"{len(strings)} plural forms, not {catalogue.num_plurals}: {msgid!r}")
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        allowed = set().union(*map(placeholders, sources))
        for string in strings:
            if not set(placeholders(string)) <= allowed:
                problems.append(f"unknown placeholder in {string!r} for {msgid!r}")
            elif not isinstance(msgid, tuple) and placeholders(string) != placeholders(msgid):
                problems.append(f"placeholders changed in {string!r} for {msgid!r}")
            if sorted(MARKUP.findall(string)) != sorted(MARKUP.findall(sources[0])):
                problems.append(f"markup changed in {string!r} for {msgid!r}")
    return problems


def test_the_completeness_check_catches_each_kind_of_gap():
    """On a small catalogue: a missing, an empty, a fuzzy and a lost or made-up placeholder
    are each reported; a full translation and a one-form plural are not."""
    catalogue = Catalog(locale="yo")
    catalogue.add("Thank you", "Ẹ ṣé")
    catalogue.add("Back to the shop", "")
    catalogue.add("Not now", "Kì í ṣe báyìí", flags=["fuzzy"])
    catalogue.add("Answer “%(title)s”", "Dáhùn")
    catalogue.add("Error %(status)s", "Àṣìṣe %(code)s")
    catalogue.add(("%(count)s question", "%(count)s questions"), ("Ìbéèrè %(count)s",))
    template = [m.id for m in catalogue if m.id] + ["Privacy"]
    problems = catalogue_problems(template, catalogue)
    assert problems == [
        "untranslated: 'Back to the shop'",
        "untranslated (fuzzy): 'Not now'",
        "placeholders changed in 'Dáhùn' for 'Answer “%(title)s”'",
        "unknown placeholder in 'Àṣìṣe %(code)s' for 'Error %(status)s'",
        "missing: 'Privacy'",
    ]


def test_a_translation_cannot_bring_markup_of_its_own():
    """Attack (finding: catalogue text is trusted as HTML, low): `_()` and {% trans %} output
    is not escaped, so a msgstr that adds a link or an element would be live on the page (a
    link in the consent notice to anywhere). The drafts are machine-made and unreviewed:
    each translation must carry exactly its msgid's markup, tags and entities alike."""
    catalogue = Catalog(locale="ha")
    catalogue.add("Not now", '<a href="https://evil.example/">Ba yanzu ba</a>')
    catalogue.add("Every question is <strong>optional</strong>.", "Kowace tambaya na zaɓi ne.")
    catalogue.add("Yes", "<b>Ee</b>")
    catalogue.add('See <a href="%(url)s">this</a>', 'Duba <a href="%(url)s">wannan</a>')
    problems = catalogue_problems([m.id for m in catalogue if m.id], catalogue)
    assert problems == [
        "markup changed in '<a href=\"https://evil.example/\">Ba yanzu ba</a>' for 'Not now'",
        "markup changed in 'Kowace tambaya na zaɓi ne.' for "
        "'Every question is <strong>optional</strong>.'",
        "markup changed in '<b>Ee</b>' for 'Yes'",
    ]
