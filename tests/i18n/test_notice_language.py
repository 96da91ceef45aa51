"""The consent notice is versioned per language: each record, its receipt (on /me, as JSON,
in the full download) says which language's text the shopper read. The API's
``notice_version`` means what it did: the version of the text, the same in every language."""

from __future__ import annotations

import json

import pytest

from surveys.extensions import db
from surveys.services import consent as consent_service
from surveys.services.consent import NOTICE_VERSION
from tests.consent.consent_helpers import ABOUT_YOU, Customer, Store
from tests.i18n.catalogues import PSEUDO_AS, install, pseudo_catalogue


@pytest.fixture
def customer(app):
    return Customer(app.test_client(), app)


def records(app):
    return Store(app).records()


def test_a_consent_given_on_the_hausa_page_records_the_hausa_notice(app, customer):
    customer.client.set_cookie("lang", "ha")
    customer.sign_in("cust-ha")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"], page="/surveys/about-you/thanks")
    [record] = records(app)
    assert (record.notice_version, record.notice_language) == (NOTICE_VERSION, "ha")

    receipt = customer.client.get(f"/me/receipts/{record.receipt_id}.json")
    assert json.loads(receipt.get_data(as_text=True))["language"] == "ha"
    export = json.loads(customer.client.get("/me/export.json").get_data(as_text=True))
    assert export["personalisation"]["notice_language"] == "ha"
    assert export["consent_receipts"][0]["language"] == "ha"
    assert f"text version {NOTICE_VERSION}, in Hausa" in customer.me()


def test_each_choice_keeps_the_language_it_was_made_in(app, customer):
    customer.sign_in("cust-many")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])  # English: no cookie, no Accept-Language
    customer.client.set_cookie("lang", "yo")
    customer.change(["state", "gender"])
    customer.client.set_cookie("lang", "ig")
    customer.withdraw("keep")
    assert [(r.status, r.notice_language) for r in records(app)] == [
        ("given", "en"),
        ("given", "yo"),
        ("withdrawn", "ig"),
    ]
    customer.client.set_cookie("lang", "en")
    me = customer.me()
    for name in ["English", "Yorùbá", "Igbo"]:
        assert f"text version {NOTICE_VERSION}, in {name}" in me


def test_delete_everything_records_its_withdrawal_in_the_pages_language(app, customer):
    customer.sign_in("cust-del")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    customer.client.set_cookie("lang", "pcm")
    customer.delete_everything()
    assert [r.notice_language for r in records(app)] == ["en", "pcm"]


def test_the_notice_shown_is_in_the_pages_language(make_app, tmp_path):
    """The text the record names is the text the page showed: through a catalogue, the
    notice on the offer is translated, and its version line with it."""
    directory = install(tmp_path, {PSEUDO_AS: pseudo_catalogue()})
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))
    from surveys.services import catalogue

    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    customer = Customer(app.test_client(), app)
    customer.client.set_cookie("lang", PSEUDO_AS)
    customer.sign_in("cust-yo")
    customer.submit("about-you", ABOUT_YOU)
    page = customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert "Nothing is linked unless you press" not in page
    assert "Ňǒťȟįňġ įș ŀįňǩėđ ǔňŀėșș ẏǒǔ ṗřėșș" in page
    customer.consent(["state"], page="/surveys/about-you/thanks")
    assert [r.notice_language for r in Store(app).records()] == [PSEUDO_AS]


def test_the_service_defaults_to_the_english_notice(app):
    """Callers that do not say (the CLI, older code) record the English notice."""
    with app.app_context():
        record = consent_service._append(
            db.session, "cust-cli", ["state"], consent_service.METHOD_PRIVACY_PAGE, "given",
            __import__("surveys").clock.now(),
        )  # fmt: skip
        assert record.notice_language == "en"
        db.session.rollback()
