"""The offer on the thank-you page: it stays where the shopper pressed, and asks only about
what they answered."""

from __future__ import annotations

import json

import pytest
from consent_helpers import ABOUT_YOU, csrf_token

THANKS = "/surveys/about-you/thanks"


def offer_of(page: str) -> str:
    return page.split('id="consent-offer"')[1].split("</form>")[0]


@pytest.mark.parametrize(
    ("ticked", "error"),
    [
        ([], "Tick at least one answer"),
        (["lga"], "shows which state you live in"),
    ],
)
def test_yes_with_nothing_valid_ticked_shows_the_error_on_the_thank_you_page(
    customer, store, ticked, error
):
    customer.sign_in("cust-201")
    customer.submit("about-you", ABOUT_YOU)
    page = customer.consent(ticked, page=THANKS)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "<h1>Thank you</h1>" in text  # the thank-you page again, not /me
    assert "We kept these answers" in text
    offer = offer_of(text)
    # The error opens the offer, focused without JavaScript; the form's own address
    # ends in its anchor, so the browser scrolls to it.
    assert offer.index('id="consent-error"') < offer.index("<fieldset>")
    summary = offer.split('id="consent-error"')[1].split(">")[0]
    assert "autofocus" in summary and 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert error in offer
    assert f'action="{THANKS}#consent-error"' in text
    assert store.records() == [] and store.links() == []


def test_the_refused_offer_keeps_what_was_ticked_and_yes_then_records_after_a_survey(
    customer, store
):
    customer.sign_in("cust-202")
    customer.submit("about-you", ABOUT_YOU)
    refused = customer.consent(["lga", "gender"], page=THANKS).get_data(as_text=True)
    assert 'value="lga" id="share-lga"' in refused
    assert "checked" in refused.split('id="share-lga"')[1][:80]
    assert "checked" in refused.split('id="share-gender"')[1][:80]
    assert "checked" not in refused.split('id="share-state"')[1][:80]

    # The shopper adds State on the page they are on and presses "Yes" again.
    given = customer.consent(["state", "lga", "gender"], page=THANKS)
    assert given.status_code == 303
    (record,) = store.records()
    assert record.method == "web-form-after-survey"
    receipt = json.loads(customer.client.get(f"/me/receipts/{record.receipt_id}.json").data)
    assert receipt["collectionMethod"] == "web-form-after-survey"
    assert receipt["collectionMethodDescription"] == "after a survey, on its thank-you page"
    assert "after a survey" in customer.me()


def test_a_consent_given_on_my_survey_data_is_recorded_as_given_there(customer, store):
    customer.sign_in("cust-203")
    customer.submit("about-you", ABOUT_YOU)
    assert customer.consent(["state"]).status_code == 303
    (record,) = store.records()
    assert record.method == "privacy-page"
    receipt = json.loads(customer.client.get(f"/me/receipts/{record.receipt_id}.json").data)
    assert receipt["collectionMethodDescription"] == "on the “My survey data” page"


def test_the_offer_lists_only_the_answers_given_not_the_skipped_ones(customer, store):
    customer.sign_in("cust-204")
    customer.submit("about-you", {"state": "NG-LA", "age_band": "age_25_34"})
    offer = offer_of(customer.client.get(THANKS).get_data(as_text=True))
    assert offer.count('type="checkbox"') == 2
    assert 'value="state"' in offer and 'value="age_band"' in offer
    for skipped in ("lga", "income_band", "gender"):
        assert f'value="{skipped}"' not in offer
    assert "Monthly income band" not in offer and "Gender" not in offer


def test_prefer_not_to_say_is_not_offered_for_sharing(customer):
    customer.sign_in("cust-205")
    customer.submit("about-you", {"state": "NG-KN", "gender": "prefer_not_to_say"})
    offer = offer_of(customer.client.get(THANKS).get_data(as_text=True))
    assert 'value="state"' in offer and 'value="gender"' not in offer


def test_an_answer_not_offered_cannot_be_shared_by_a_hand_made_post(customer, store):
    customer.sign_in("cust-206")
    customer.submit("about-you", {"state": "NG-LA"})
    page = customer.consent(["state", "gender"], page=THANKS)
    assert page.status_code == 400
    assert "Choose only from the answers listed" in page.get_data(as_text=True)
    assert store.records() == [] and store.links() == []


def test_an_offer_sent_to_the_thank_you_page_of_no_open_survey_is_not_found(customer, store):
    customer.sign_in("cust-208")
    customer.submit("about-you", ABOUT_YOU)
    token = csrf_token(customer.client.get(THANKS))
    page = customer.client.post(
        "/surveys/no-such-survey/thanks",
        data={"csrf_token": token, "answer": "yes", "attributes": ["state"]},
    )
    assert page.status_code == 404
    assert store.records() == [] and store.links() == []


def test_with_every_question_skipped_or_declined_there_is_nothing_to_offer(customer):
    customer.sign_in("cust-207")
    customer.submit("about-you", {"age_band": "prefer_not_to_say"})
    assert 'id="consent-offer"' not in customer.client.get(THANKS).get_data(as_text=True)
