"""Consent from a signed-in browser: offer, give, change, withdraw, and what each leaves behind."""

from __future__ import annotations

import json
import uuid

import pytest
from consent_helpers import ABOUT_YOU, csrf_token
from cryptography.fernet import Fernet

from surveys.services import profiles
from surveys.services.respondents import respondent_hash


def test_full_lifecycle_sign_in_answer_consent_change_withdraw_keeping_answers(
    app, customer, store
):
    customer.sign_in("cust-1001", next="/surveys/about-you")
    customer.submit("about-you", ABOUT_YOU)
    thanks = customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert "Use my answers to personalise the shop?" in thanks
    assert store.links() == [] and store.records() == []  # nothing linked before "Yes"

    before = store.answers_snapshot()
    page = customer.consent(["state", "age_band"], page="/surveys/about-you/thanks")
    assert page.status_code == 303
    (given,) = store.records()
    assert given.subject == "cust-1001" and given.status == "given"
    assert given.attributes == ["state", "age_band"] and given.purpose == "personalisation"
    assert given.method == "web-form-after-survey" and given.notice_version
    assert given.given_at.tzinfo is not None
    (link,) = store.links()
    assert link.subject == "cust-1001"
    assert store.answers_snapshot() == before  # the answers store learnt nothing

    me = customer.me()
    assert "Lagos" in me and "shared with the shop" in me
    assert "the shop may use: <strong>State and Age band</strong>" in me

    assert customer.change(["state", "lga", "gender"]).status_code == 303
    first, changed = store.records()
    assert first.attributes == ["state", "age_band"]  # history untouched
    assert changed.attributes == ["state", "lga", "gender"] and changed.status == "given"
    assert changed.method == "privacy-page"
    assert [row.subject for row in store.links()] == ["cust-1001"]

    page = customer.withdraw("keep")
    assert page.status_code == 303
    assert store.links() == []
    withdrawn = store.records()[-1]
    assert withdrawn.status == "withdrawn" and withdrawn.answers_after == "kept_anonymous"
    assert withdrawn.attributes == ["state", "lga", "gender"]
    assert store.answers_snapshot() == before  # withdrawing wrote nothing there either
    assert len(store.responses()) == 1  # kept, as anonymous as anyone's
    me = customer.me()
    assert "Nothing is linked to your shop account" in me
    assert "Withdrew, answers kept anonymous" in me


def test_withdrawing_with_delete_removes_the_linked_answers_and_the_link(customer, store):
    customer.sign_in("cust-2")
    customer.submit("about-you", ABOUT_YOU)
    customer.submit("where-you-shop", {"state": "NG-KN"})
    customer.consent(["state"])
    page = customer.withdraw("delete")
    assert page.status_code == 303
    assert store.links() == [] and store.responses() == []
    assert store.records()[-1].answers_after == "deleted"
    assert "your answers are deleted" in customer.client.get(page.headers["Location"]).get_data(
        as_text=True
    )


def test_withdrawing_deletes_only_this_shoppers_answers(customer, make_customer, store):
    customer.sign_in("cust-a")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    other = make_customer()
    other.submit("about-you", {"state": "NG-OY"})
    customer.withdraw("delete")
    assert [row.state_code for row in store.responses()] == ["NG-OY"]


def test_withdrawing_twice_is_harmless_and_says_so(customer, store):
    customer.sign_in("cust-3")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["gender"])
    customer.withdraw("keep")
    page = customer.withdraw("delete")
    assert page.headers["Location"].startswith("/me?done=nothing-to-withdraw")
    assert len(store.records()) == 2 and len(store.responses()) == 1


def test_the_respondent_key_in_the_link_is_encrypted_at_rest(app, customer, store):
    customer.sign_in("cust-4")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    key = customer.respondent_key()
    (link,) = store.links()
    assert key not in link.encrypted_key and respondent_hash(key) not in link.encrypted_key
    assert (
        Fernet(app.config["LINK_ENCRYPTION_KEY"]).decrypt(link.encrypted_key.encode()).decode()
        == key
    )


def test_no_thanks_links_nothing_and_the_offer_is_not_repeated_this_session(customer, store):
    customer.sign_in("cust-5")
    customer.submit("about-you", ABOUT_YOU)
    page = customer.decline(page="/surveys/about-you/thanks")
    assert page.status_code == 303
    assert "Nothing is linked" in customer.client.get(page.headers["Location"]).get_data(
        as_text=True
    )
    assert store.records() == [] and store.links() == []
    customer.submit("where-you-shop", {"state": "NG-KN"})
    thanks = customer.client.get("/surveys/where-you-shop/thanks").get_data(as_text=True)
    assert "Use my answers to personalise the shop?" not in thanks
    # It stays one click away on the privacy page.
    assert "Use my answers to personalise the shop?" in customer.me()


def test_no_thanks_ignores_boxes_ticked_before_it(customer, store):
    customer.sign_in("cust-6")
    customer.submit("about-you", ABOUT_YOU)
    token = csrf_token(customer.client.get("/me"))
    customer.client.post(
        "/me/consent",
        data={"csrf_token": token, "answer": "no", "attributes": ["state"]},
    )
    assert store.records() == [] and store.links() == []


def test_the_offer_has_every_attribute_unticked_and_yes_and_no_side_by_side(customer):
    customer.sign_in("cust-7")
    customer.submit("about-you", ABOUT_YOU)
    thanks = customer.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    offer = thanks.split('id="consent-offer"')[1].split("</form>")[0]
    assert offer.count('type="checkbox"') == 5
    assert "checked" not in offer
    for label in ("State", "Local government area", "Age band", "Monthly income band", "Gender"):
        assert label in offer
    assert '<button class="choice" name="answer" value="yes">' in offer
    assert '<button class="choice" name="answer" value="no">' in offer


def test_anonymous_shoppers_are_not_offered_personalisation(shopper):
    shopper.submit("about-you", ABOUT_YOU)
    thanks = shopper.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert "personalise the shop?" not in thanks


def test_after_consent_the_thank_you_page_says_what_is_shared_instead_of_asking(customer):
    customer.sign_in("cust-8")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state", "gender"])
    customer.submit("where-you-shop", {"state": "NG-KN"})
    thanks = customer.client.get("/surveys/where-you-shop/thanks").get_data(as_text=True)
    assert "You agreed that the shop may use: State and Gender" in thanks
    assert "personalise the shop?" not in thanks


def test_yes_with_nothing_ticked_is_refused_clearly_and_writes_nothing(customer, store):
    customer.sign_in("cust-9")
    customer.submit("about-you", ABOUT_YOU)
    page = customer.consent([])
    assert page.status_code == 400
    assert "Tick at least one answer" in page.get_data(as_text=True)
    assert store.records() == [] and store.links() == []


def test_sharing_the_lga_without_the_state_is_refused_because_the_lga_names_the_state(
    customer, store
):
    customer.sign_in("cust-10")
    customer.submit("about-you", ABOUT_YOU)
    page = customer.consent(["lga", "gender"])
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "shows which state you live in" in text
    # The boxes the shopper ticked are still ticked, so they only need to add State.
    assert (
        'value="lga" id="share-lga"' in text and "checked" in text.split('id="share-lga"')[1][:80]
    )
    assert store.records() == [] and store.links() == []


@pytest.mark.parametrize("attributes", [["email"], ["state", "phone"]])
def test_unknown_attributes_are_refused(customer, store, attributes):
    customer.sign_in("cust-11")
    page = customer.consent(attributes)
    assert page.status_code == 400
    assert store.records() == []


def test_a_made_up_answer_is_refused(customer, store):
    customer.sign_in("cust-12")
    token = csrf_token(customer.client.get("/me"))
    bad_answer = {"csrf_token": token, "answer": "maybe", "attributes": ["state"]}
    assert customer.client.post("/me/consent", data=bad_answer).status_code == 400
    token = csrf_token(customer.client.get("/me"))
    assert (
        customer.client.post(
            "/me/consent/withdraw", data={"csrf_token": token, "answers": "x"}
        ).status_code
        == 400
    )
    assert store.records() == []


def test_changing_to_nothing_is_refused_and_keeps_the_consent(customer, store):
    customer.sign_in("cust-13")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    page = customer.change([])
    assert page.status_code == 400 and "Tick at least one answer" in page.get_data(as_text=True)
    assert len(store.records()) == 1 and len(store.links()) == 1


def test_changing_without_a_consent_is_refused(customer, store):
    customer.sign_in("cust-14")
    page = customer.change(["state"])
    assert page.status_code == 400
    assert "nothing to change" in page.get_data(as_text=True)
    assert store.records() == []


def test_consenting_before_answering_links_this_browsers_future_answers(app, customer, store):
    customer.sign_in("cust-15")
    assert customer.respondent_key() is None
    customer.consent(["gender"])
    key = customer.respondent_key()
    assert key is not None
    customer.submit("about-you", ABOUT_YOU)
    (response,) = store.responses()
    assert response.respondent_hash == respondent_hash(key)
    with app.app_context():
        from surveys.extensions import db
        from surveys.services import consent

        cipher = consent.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        assert profiles.profile_of(db.session, "cust-15", cipher).attributes == {"gender": "female"}


def post_without_token(customer, url, data):
    return customer.client.post(url, data=data)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/me/consent", {"answer": "yes", "attributes": ["state"]}),
        ("/me/consent", {"answer": "no"}),
        ("/surveys/about-you/thanks", {"answer": "yes", "attributes": ["state"]}),
        ("/me/consent/change", {"attributes": ["gender"]}),
        ("/me/consent/withdraw", {"answers": "delete"}),
        ("/me/delete", {}),
        ("/auth/logout", {}),
    ],
)
def test_every_consent_form_refuses_a_post_without_its_csrf_token(customer, store, url, data):
    customer.sign_in("cust-16")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    before = (store.records(), store.links(), store.responses(), store.sessions())
    for token in (None, "forged-token"):
        sent = data if token is None else {**data, "csrf_token": token}
        page = customer.client.post(url, data=sent)
        assert page.status_code == 400
        assert "This form has expired" in page.get_data(as_text=True)
    after = (store.records(), store.links(), store.responses(), store.sessions())
    assert [len(rows) for rows in after] == [len(rows) for rows in before]
    assert store.records()[-1].attributes == ["state"]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/me/consent", {"answer": "yes", "attributes": ["state"]}),
        ("/surveys/about-you/thanks", {"answer": "yes", "attributes": ["state"]}),
        ("/me/consent/change", {"attributes": ["gender"]}),
        ("/me/consent/withdraw", {"answers": "keep"}),
    ],
)
def test_consent_forms_need_a_signed_in_shopper(shopper, store, url, data):
    token = csrf_token(shopper.client.get("/me"))
    page = shopper.client.post(url, data={**data, "csrf_token": token})
    assert page.status_code == 403
    assert "You are not signed in" in page.get_data(as_text=True)
    assert store.records() == []


def test_each_consent_has_a_receipt_with_the_consent_receipt_fields(app, customer, store):
    customer.sign_in("cust-17")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state", "income_band"], page="/surveys/about-you/thanks")
    customer.withdraw("keep")
    given, withdrawn = store.records()
    me = customer.me()
    assert f"/me/receipts/{given.receipt_id}.json" in me
    assert f"/me/receipts/{withdrawn.receipt_id}.json" in me

    page = customer.client.get(f"/me/receipts/{given.receipt_id}.json")
    assert page.status_code == 200
    assert page.headers["Content-Disposition"].startswith("attachment")
    assert page.headers["Cache-Control"] == "no-store"
    receipt = json.loads(page.get_data(as_text=True))
    assert receipt["consentReceiptID"] == str(given.receipt_id)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentTimestamp"] == int(given.given_at.timestamp())
    assert receipt["collectionMethod"] == "web-form-after-survey"
    assert receipt["piiPrincipalId"] == "cust-17"
    assert receipt["piiControllers"][0]["piiController"] == app.config["CONSENT_CONTROLLER"]
    assert receipt["policyUrl"].endswith("/privacy")
    (purpose,) = receipt["services"][0]["purposes"]
    assert purpose["purpose"] == "personalisation"
    assert purpose["piiCategory"] == ["State", "Monthly income band"]
    assert receipt["consentStatus"] == "given" and receipt["noticeVersion"] == given.notice_version

    later = json.loads(customer.client.get(f"/me/receipts/{withdrawn.receipt_id}.json").data)
    assert later["consentStatus"] == "withdrawn"
    assert later["answersAfterWithdrawal"] == "kept_anonymous"


def test_a_receipt_is_only_for_its_own_shopper(customer, make_customer, store):
    customer.sign_in("cust-18")
    customer.consent(["state"])
    (record,) = store.records()
    stranger = make_customer()
    assert stranger.client.get(f"/me/receipts/{record.receipt_id}.json").status_code == 404
    stranger.sign_in("cust-19")
    assert stranger.client.get(f"/me/receipts/{record.receipt_id}.json").status_code == 404
    assert customer.client.get(f"/me/receipts/{uuid.uuid4()}.json").status_code == 404


def test_my_page_shows_answers_consents_history_and_profile_reads(app, customer):
    customer.sign_in("cust-20")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    with app.app_context():
        from surveys import clock
        from surveys.extensions import db

        profiles.record_read(db.session, "cust-20", "recommendations", ["state"], clock.now())
        db.session.commit()
    me = customer.me()
    assert "Ikeja" in me and "25–34" in me
    assert "Agreed" in me and "on this page" in me
    assert "recommendations" in me and "Nobody has read your profile" not in me


def test_a_much_read_profile_lists_the_latest_reads_and_the_download_has_them_all(app, customer):
    """A recommender on a hot path reads a profile thousands of times: /me stays light."""
    customer.sign_in("cust-23")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    with app.app_context():
        from datetime import timedelta

        from surveys import clock
        from surveys.extensions import db
        from surveys.services.profiles import record_reads

        start = clock.now()
        identity = db.session.connection(bind_arguments={"bind": db.engines["identity"]})
        for minute in range(60):
            record_reads(
                identity, "recs", [("cust-23", ["state"])], start + timedelta(minutes=minute)
            )
        db.session.commit()
    me = customer.me()
    assert "The latest 50 of 60 reads." in me
    assert me.count("<td>recs</td>") == 50
    assert clock.shown(start + timedelta(minutes=59), "short") in me  # the newest is listed
    assert len(customer.client.get("/me/export.json").json["profile_reads"]) == 60


def test_export_has_answers_consents_receipts_and_reads(app, customer, store):
    customer.sign_in("cust-21")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state", "gender"])
    customer.change(["gender"])
    with app.app_context():
        from surveys import clock
        from surveys.extensions import db

        profiles.record_read(db.session, "cust-21", "recommendations", ["gender"], clock.now())
        db.session.commit()
    page = customer.client.get("/me/export.json")
    assert page.status_code == 200 and page.headers["Content-Disposition"].startswith("attachment")
    export = json.loads(page.data)
    (answers,) = export["answers_from_this_browser"]
    assert answers["survey"] == "about-you"
    assert answers["answers"]["lga"] == {"code": "NG-LA-11", "label": "Ikeja"}
    assert answers["shared_for_personalisation"] == ["gender"]
    assert export["personalisation"]["active"] is True
    assert export["personalisation"]["attributes"] == ["gender"]
    assert [r["consentStatus"] for r in export["consent_receipts"]] == ["given", "given"]
    assert export["profile_reads"][0]["client"] == "recommendations"


def test_delete_everything_removes_answers_link_and_reads_but_keeps_consent_proof(
    app, customer, store
):
    customer.sign_in("cust-22")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    with app.app_context():
        from surveys import clock
        from surveys.extensions import db
        from surveys.models import ProfileRead

        profiles.record_read(db.session, "cust-22", "recommendations", ["state"], clock.now())
        db.session.commit()
    page = customer.delete_everything()
    assert page.status_code == 303
    assert store.responses() == [] and store.links() == [] and store.rows(ProfileRead) == []
    given, withdrawn = store.records()
    assert withdrawn.status == "withdrawn" and withdrawn.answers_after == "deleted"
    assert customer.respondent_key() is None
    assert "Deleted." in customer.client.get(page.headers["Location"]).get_data(as_text=True)


def test_an_anonymous_browser_gets_the_same_page_for_what_its_key_holds(shopper, stored_responses):
    shopper.submit("about-you", ABOUT_YOU)
    me = shopper.client.get("/me").get_data(as_text=True)
    assert "Ikeja" in me and "not signed in" in me
    assert "personalise the shop?" not in me
    export = json.loads(shopper.client.get("/me/export.json").data)
    assert export["signed_in"] is False and len(export["answers_from_this_browser"]) == 1
    assert export["consent_receipts"] == []
    shopper.post_action("/me", "/me/delete", confirm="yes")
    assert stored_responses() == []


def test_another_browsers_answers_reached_by_the_link_are_shown_apart(customer, make_customer):
    customer.sign_in("cust-23")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    laptop = make_customer()
    laptop.sign_in("cust-23")
    laptop.submit("where-you-shop", {"state": "NG-KN"})
    me = laptop.me()
    assert "Linked from another browser" in me and "Ikeja" in me and "Kano" in me


def test_consent_logs_say_what_happened_but_never_who_or_which_answers(app, customer, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="surveys")
    customer.sign_in("cust-secret-subject")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state", "gender"], page="/surveys/about-you/thanks")
    customer.change(["gender"])
    customer.withdraw("delete")
    customer.client.get("/me/export.json")
    text = "\n".join(
        record.getMessage() + repr(getattr(record, "fields", "")) for record in caplog.records
    )
    assert "consent given" in text and "consent changed" in text and "consent withdrawn" in text
    assert "cust-secret-subject" not in text
    assert "NG-LA" not in text and "female" not in text and "Ikeja" not in text
    for name in ("signin", "respondent", "session"):
        cookie = customer.client.get_cookie(name)
        assert cookie is None or cookie.value not in text


def test_saying_under_18_withdraws_consent_and_deletes_the_linked_answers(customer, store):
    """A child's consent does not count; what it linked goes with the child's answers."""
    customer.sign_in("cust-24")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    second_survey = customer.submit("where-you-shop", {"state": "NG-KN"})
    assert second_survey.status_code == 303
    page = customer.submit("about-you", {"age_band": "under_18"})
    assert page.status_code == 200
    assert store.links() == [] and store.responses() == []
    assert store.records()[-1].status == "withdrawn"
    assert store.records()[-1].answers_after == "deleted"
