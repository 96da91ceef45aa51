"""Each language's consent notice has a version of its own, held to the text it names.

A record says which text a shopper agreed to by its version and language. When a native
speaker corrects a translation of the notice, the text people agree to changes: its version
must change with it, or old records would name a text nobody can show any more. These tests
fingerprint each language's notice as the catalogues hold it and fail when a text changes
while its version stays (the review of the five languages found the one version for all).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from surveys.i18n import LANGUAGES, NOTICE_TEMPLATE, _notice_sentences
from surveys.services.consent import NOTICE_VERSION, NOTICE_VERSIONS
from tests.consent.consent_helpers import ABOUT_YOU, Customer, Store
from tests.i18n.catalogues import ROOT, TRANSLATIONS

#: The fingerprint of each version's text. A text changed on purpose: give its language a new
#: version in ``NOTICE_VERSIONS`` (``+yo.2``; a new English text is a new NOTICE_VERSION and
#: new versions for all), then put the new version and fingerprint here.
FINGERPRINTS = {
    "2026-11-v1": "217b95b17529a4bd",
    "2026-11-v1+pcm.1": "8e0220bad1d089c7",
    "2026-11-v1+ha.1": "714bca2dace7b271",
    "2026-11-v1+yo.1": "b25e5cc8e8737eeb",
    "2026-11-v1+ig.1": "9215fe20fbdc630c",
}


def notice_sentences() -> tuple[str, ...]:
    return _notice_sentences(ROOT / "templates" / NOTICE_TEMPLATE)


def fingerprint(language: str, po_text: bytes | None = None) -> str:
    """The notice's sentences in ``language``, as its catalogue (or ``po_text``) holds them."""
    if language == "en":
        texts = list(notice_sentences())
    else:
        path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        catalogue = read_po(io.BytesIO(po_text or path.read_bytes()))
        texts = [catalogue[sentence].string for sentence in notice_sentences()]
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def test_every_language_has_a_notice_version_of_its_own():
    assert set(NOTICE_VERSIONS) == set(LANGUAGES)
    assert NOTICE_VERSIONS["en"] == NOTICE_VERSION
    assert len(set(NOTICE_VERSIONS.values())) == len(LANGUAGES)
    # They fit the column that keeps them (consent_records.notice_version, 32 characters).
    assert all(len(version) <= 32 for version in NOTICE_VERSIONS.values())


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_version_names_the_text_the_catalogues_hold(language):
    version = NOTICE_VERSIONS[language]
    assert fingerprint(language) == FINGERPRINTS[version], (
        f"the {language} consent notice changed: give it a new version in "
        f"surveys/services/consent.py NOTICE_VERSIONS and its fingerprint here"
    )


def test_a_corrected_translation_without_a_new_version_is_caught(tmp_path: Path):
    """The check itself: one word of the Hausa notice changed, the version kept: caught."""
    path = TRANSLATIONS / "ha" / "LC_MESSAGES" / "messages.po"
    catalogue = read_po(io.BytesIO(path.read_bytes()))
    first = catalogue[notice_sentences()[0]]
    corrected = path.read_bytes().replace(
        json.dumps(first.string, ensure_ascii=False)[1:-1].encode(),
        (first.string + " (an gyara)").encode(),
        1,
    )
    assert corrected != path.read_bytes()
    assert fingerprint("ha", corrected) != FINGERPRINTS[NOTICE_VERSIONS["ha"]]


def test_a_consent_records_and_shows_its_languages_version(app):
    customer = Customer(app.test_client(), app)
    customer.client.set_cookie("lang", "yo")
    customer.sign_in("cust-yo-version")
    customer.submit("about-you", ABOUT_YOU)
    offer = customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert NOTICE_VERSIONS["yo"] in offer and f"{NOTICE_VERSION} " not in offer
    customer.consent(["state"], page="/surveys/about-you/thanks")
    [record] = Store(app).records()
    assert (record.notice_version, record.notice_language) == (NOTICE_VERSIONS["yo"], "yo")
    assert NOTICE_VERSIONS["yo"] in customer.me()
