"""The consent notice is versioned per language: each record, its receipt (on /me, as JSON,
in the full download) says which language's text the shopper read. The API's
``notice_version`` means what it did: the version of the text, the same in every language."""

from __future__ import annotations

import json
import re

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from surveys.extensions import db
from surveys.services import consent as consent_service
from surveys.services.consent import NOTICE_VERSIONS
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
    assert (record.notice_version, record.notice_language) == (NOTICE_VERSIONS["ha"], "ha")

    receipt = customer.client.get(f"/me/receipts/{record.receipt_id}.json")
    assert json.loads(receipt.get_data(as_text=True))["language"] == "ha"
    export = json.loads(customer.client.get("/me/export.json").get_data(as_text=True))
    assert export["personalisation"]["notice_language"] == "ha"
    assert export["consent_receipts"][0]["language"] == "ha"
    with app.test_request_context(), force_locale("ha"):
        shown = gettext("text version %(version)s, in %(language)s", version=NOTICE_VERSIONS["ha"],
                        language="Hausa")  # fmt: skip
    assert "Hausa" in shown and NOTICE_VERSIONS["ha"] in shown and "text version" not in shown
    assert str(escape(shown)) in customer.me()


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
    for code, name in [("en", "English"), ("yo", "Yorùbá"), ("ig", "Igbo")]:
        assert f"text version {NOTICE_VERSIONS[code]}, in {name}" in me


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
    app = app_with_catalogues(make_app, tmp_path, {PSEUDO_AS: pseudo_catalogue()})
    customer, page = thanks_page_in(app, PSEUDO_AS, "cust-yo")
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


def form_fields(page: str, form: str) -> dict[str, str]:
    """The hidden fields of the form with this id (or class) on ``page``: what a browser
    sends back with it."""
    match = re.search(rf'<form[^>]* (?:id|class)="{form}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form {form}"
    hidden = re.findall(r'<input [^>]*type="hidden"[^>]*>', match.group(1))
    return dict(
        (re.search(r'name="([^"]+)"', tag).group(1), re.search(r'value="([^"]*)"', tag).group(1))
        for tag in hidden
    )


def app_with_catalogues(make_app, tmp_path, catalogues: dict):  # type: ignore[no-untyped-def]
    """An app reading these catalogues (language -> babel Catalog), its surveys loaded."""
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(install(tmp_path, catalogues)))
    from surveys.services import catalogue

    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def thanks_page_in(app, language: str, customer_id: str) -> tuple[Customer, str]:  # type: ignore[no-untyped-def]
    """A customer who answered "About you" in ``language``, and the thank-you page they see."""
    customer = Customer(app.test_client(), app)
    customer.client.set_cookie("lang", language)
    customer.sign_in(customer_id)
    customer.submit("about-you", ABOUT_YOU)
    return customer, customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)


def app_with_a_whole_notice_in(make_app, tmp_path, language: str):  # type: ignore[no-untyped-def]
    """An app whose ``language`` catalogue translates everything (pseudo-translated)."""
    return app_with_catalogues(make_app, tmp_path, {language: pseudo_catalogue(language)})


def test_the_record_names_the_notice_shown_even_if_the_language_changed_since(make_app, tmp_path):
    """Attack (finding: notice language taken from the post, medium): the shopper reads the
    Hausa offer, switches another tab to English, then presses "Yes" on the Hausa page. The
    record must say Hausa, the text they read, not the language of the request that sent it."""
    app = app_with_a_whole_notice_in(make_app, tmp_path, "ha")
    customer = Customer(app.test_client(), app)
    customer.sign_in("cust-tabs")
    customer.submit("about-you", ABOUT_YOU)
    customer.client.set_cookie("lang", "ha")
    page = customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    sent = form_fields(page, "consent-offer")
    customer.client.get("/language/en?next=/")  # the other tab
    customer.client.post(
        "/surveys/about-you/thanks", data={**sent, "attributes": ["state"], "answer": "yes"}
    )
    me = customer.client.get("/me").get_data(as_text=True)
    customer.client.set_cookie("lang", "yo")
    customer.client.post(
        "/me/consent/change", data={**form_fields(me, "consent-change"), "attributes": ["state"]}
    )
    customer.client.post(
        "/me/consent/withdraw", data={**form_fields(me, "withdraw"), "answers": "keep"}
    )
    assert [(r.status, r.notice_language) for r in records(app)] == [
        ("given", "ha"),
        ("given", "en"),
        ("withdrawn", "en"),
    ]


def test_a_confirmation_page_carries_its_language_to_the_record(app, customer):
    customer.sign_in("cust-confirm")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    customer.client.set_cookie("lang", "ig")
    token = form_fields(customer.client.get("/me").get_data(as_text=True), "withdraw")
    asked = customer.client.post("/me/consent/withdraw", data={**token, "answers": "delete"})
    confirm = form_fields(asked.get_data(as_text=True), "confirm")
    customer.client.set_cookie("lang", "en")
    customer.client.post("/me/consent/withdraw", data={**confirm, "confirm": "yes"})
    assert [r.notice_language for r in records(app)] == ["en", "ig"]


@pytest.mark.parametrize("claimed", ["fr", "<b>", "", "ha-NG", "x" * 50])
def test_a_notice_language_that_is_not_one_of_ours_is_refused_and_nothing_is_written(
    app, customer, claimed
):
    """A hostile client cannot write a language of its own choosing into the record."""
    customer.sign_in("cust-claims")
    customer.submit("about-you", ABOUT_YOU)
    sent = form_fields(customer.client.get("/me").get_data(as_text=True), "consent-offer")
    refused = customer.client.post(
        "/me/consent",
        data={**sent, "notice_language": claimed, "attributes": ["state"], "answer": "yes"},
    )
    assert refused.status_code == 400
    assert records(app) == []
    # The same form, as sent by the page, is taken: the refusal was the claim, nothing else.
    customer.client.post("/me/consent", data={**sent, "attributes": ["state"], "answer": "yes"})
    assert [r.notice_language for r in records(app)] == ["en"]


def test_a_notice_its_catalogue_does_not_fully_translate_is_shown_and_recorded_in_english(
    make_app, tmp_path
):
    """Attack (finding: the record named the page's language, not the notice's, medium): with
    one sentence of the notice missing from the catalogue (a sentence added later, a draft
    not finished), the page showed a notice half in each language and the record said the
    page's language. The notice is shown whole in English then, and the record says so."""
    partial = pseudo_catalogue()
    partial.delete("Nothing is linked unless you press “Yes”.")
    app = app_with_catalogues(make_app, tmp_path, {PSEUDO_AS: partial})
    customer, page = thanks_page_in(app, PSEUDO_AS, "cust-partial")
    notice = re.search(r'<div class="notice-text"[^>]*>.*?</div>', page, re.S).group()
    assert 'lang="en"' in notice
    assert "Only the answers you tick are linked to your shop account" in notice
    assert "Ňǒťȟįňġ" not in notice and "Ǒňŀẏ ťȟė ȧňșẇėřș" not in notice
    assert "Ňǒ ťȟȧňǩș" in page  # the rest of the page stays in the page's language
    customer.client.post(
        "/surveys/about-you/thanks",
        data={**form_fields(page, "consent-offer"), "attributes": ["state"], "answer": "yes"},
    )
    assert [r.notice_language for r in Store(app).records()] == ["en"]


def test_a_notice_sentence_translated_as_the_english_reads_still_counts_as_translated(
    make_app, tmp_path
):
    """Pidgin may rightly keep a sentence as English writes it: that is a translation, and
    the notice stays in the page's language."""
    same = pseudo_catalogue()
    same[
        "Nothing is linked unless you press “Yes”."
    ].string = "Nothing is linked unless you press “Yes”."
    app = app_with_catalogues(make_app, tmp_path, {PSEUDO_AS: same})
    _, page = thanks_page_in(app, PSEUDO_AS, "cust-same")
    assert form_fields(page, "consent-offer")["notice_language"] == PSEUDO_AS
    assert "Ǒňŀẏ ťȟė ȧňșẇėřș ẏǒǔ ťįċǩ" in page
