"""What a shopper can do with a survey, from a browser without JavaScript."""

import re
from datetime import date, timedelta

import pytest

from surveys.extensions import db
from surveys.models import Dismissal
from surveys.services import catalogue
from surveys.services.answers import offered_surveys
from surveys.services.respondents import respondent_hash, unsign

ABOUT_YOU = {
    "state": "NG-LA",
    "lga": "NG-LA-11",  # Ikeja
    "age_band": "age_25_34",
    "income_band": "income_150k_300k",
    "gender": "female",
}


def test_index_lists_the_open_surveys(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "About you" in text and "Where you shop from" in text


def test_index_sends_the_shopper_straight_to_the_only_survey(client, only_survey):
    only_survey("where-you-shop")
    page = client.get("/")
    assert page.status_code == 302
    assert page.headers["Location"] == "/surveys/where-you-shop"


def test_survey_page_says_it_is_optional_what_answers_are_for_and_links_the_privacy_notice(client):
    text = client.get("/surveys/about-you").get_data(as_text=True)
    assert "Every question is optional" in text
    assert "statistics" in text and "personalise the shop only if you later agree" in text
    assert 'href="/privacy"' in text
    assert client.get("/privacy").status_code == 200


def test_each_question_is_a_fieldset_with_a_legend_and_prefer_not_to_say(client):
    text = client.get("/surveys/about-you").get_data(as_text=True)
    assert text.count("<fieldset") == 5 and text.count("<legend>") == 5
    assert text.count("Prefer not to say") == 5
    assert '<label for="state">' in text
    assert "Another gender" in text and "65 and over" in text and "Under ₦70,000" in text


def test_a_complete_answer_is_stored_as_codes_and_thanked_for(shopper, stored_responses):
    page = shopper.submit("about-you", ABOUT_YOU)
    assert page.status_code == 303
    assert page.headers["Location"] == "/surveys/about-you/thanks"
    (row,) = stored_responses()
    assert row.answers() == {
        "state": "NG-LA", "lga": "NG-LA-11", "age_band": "age_25_34",
        "income_band": "income_150k_300k", "gender": "female",
    }  # fmt: skip
    assert row.submitted_on == row.updated_on
    thanks = shopper.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert "Thank you" in thanks and "Ikeja" in thanks and "25–34" in thanks


def test_every_question_can_be_skipped_and_skipping_stores_nothing_for_it(
    shopper, stored_responses
):
    shopper.submit("about-you", {"gender": "male"})
    (row,) = stored_responses()
    assert row.answers() == {
        "state": None, "lga": None, "age_band": None, "income_band": None, "gender": "male",
    }  # fmt: skip


def test_prefer_not_to_say_is_stored_apart_from_skipping(shopper, stored_responses):
    shopper.submit("about-you", {"state": "prefer_not_to_say", "income_band": "prefer_not_to_say"})
    (row,) = stored_responses()
    assert row.state_code == "prefer_not_to_say" and row.income_band == "prefer_not_to_say"
    assert row.age_band is None


def test_submitting_with_every_question_skipped_keeps_nothing(shopper, stored_responses):
    page = shopper.submit("about-you", {})
    assert page.status_code == 303
    assert stored_responses() == []
    assert shopper.respondent_cookie() is None
    assert "we kept nothing" in shopper.client.get(page.headers["Location"]).get_data(as_text=True)


def test_under_18_stores_nothing_at_all_and_says_why(shopper, stored_responses):
    page = shopper.submit("about-you", {**ABOUT_YOU, "age_band": "under_18"})
    assert page.status_code == 200
    assert "do not keep answers from children" in page.get_data(as_text=True)
    assert stored_responses() == []
    assert shopper.respondent_cookie() is None


def test_under_18_also_deletes_what_this_browser_said_before(shopper, stored_responses):
    shopper.submit("where-you-shop", {"state": "NG-KN"})
    assert len(stored_responses()) == 1
    shopper.submit("about-you", {"age_band": "under_18"})
    assert stored_responses() == []


def test_lgas_offered_are_only_those_of_the_chosen_state_without_javascript(
    shopper, stored_responses
):
    """The no-JS cascade: "Show its LGAs" re-renders the form with the state's LGAs only."""
    page = shopper.submit("where-you-shop", {"state": "NG-FC"}, action="refresh")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="NG-FC-01"' in text and "Abaji" in text
    assert text.count('value="NG-FC-') == 6
    assert "NG-LA-" not in text
    assert '<option selected value="NG-FC">' in text
    assert stored_responses() == []


def test_before_a_state_is_chosen_no_lga_is_offered(client):
    text = client.get("/surveys/where-you-shop").get_data(as_text=True)
    assert 'value="NG-' not in text.split('id="lga"')[1].split("</select>")[0]
    assert "Choose your state first" in text


def test_an_lga_outside_the_chosen_state_is_refused_with_a_linked_error(shopper, stored_responses):
    page = shopper.submit("where-you-shop", {"state": "NG-KN", "lga": "NG-LA-11"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Choose a local government area in Kano" in text
    assert 'id="error-summary"' in text and 'href="#lga"' in text
    assert stored_responses() == []


def test_an_lga_without_a_state_is_refused(shopper, stored_responses):
    page = shopper.submit("where-you-shop", {"lga": "NG-LA-11"})
    assert page.status_code == 400
    assert "Choose your state first" in page.get_data(as_text=True)
    assert stored_responses() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "NG-XX"), ("age_band", "age_0_1"), ("income_band", "lots"), ("gender", "robot"),
     ("lga", "NG-LA-99")],
)  # fmt: skip
def test_unknown_codes_are_refused_and_nothing_is_stored(shopper, stored_responses, field, value):
    answers = {"state": "NG-LA"} if field == "lga" else {}
    page = shopper.submit("about-you", {**answers, field: value})
    assert page.status_code == 400
    assert "error-summary" in page.get_data(as_text=True)
    assert stored_responses() == []


def test_a_shopper_sees_their_answers_prefilled_and_can_change_them(shopper, stored_responses):
    shopper.submit("about-you", ABOUT_YOU)
    form = shopper.open("about-you").get_data(as_text=True)
    assert '<option selected value="NG-LA-11">Ikeja</option>' in form
    assert 'value="female" checked' in form
    assert "Delete my answers" in form

    shopper.submit("about-you", {**ABOUT_YOU, "gender": "prefer_not_to_say", "income_band": ""})
    (row,) = stored_responses()
    assert row.gender == "prefer_not_to_say" and row.income_band is None


def test_a_shopper_can_delete_their_answers_to_one_survey(shopper, stored_responses):
    shopper.submit("about-you", ABOUT_YOU)
    shopper.submit("where-you-shop", {"state": "NG-OY"})
    page = shopper.post_action("/surveys/about-you", "/surveys/about-you/delete")
    assert page.status_code == 303
    assert [row.state_code for row in stored_responses()] == ["NG-OY"]
    assert "Nothing we show or share uses those answers" in shopper.client.get(
        page.headers["Location"]
    ).get_data(as_text=True)


def test_my_survey_data_lists_everything_from_this_browser_and_deletes_it_all(
    shopper, stored_responses
):
    shopper.submit("about-you", ABOUT_YOU)
    shopper.submit("where-you-shop", {"state": "NG-OY"})
    text = shopper.client.get("/me").get_data(as_text=True)
    assert "About you" in text and "Oyo" in text and "Ikeja" in text
    page = shopper.post_action("/me", "/me/delete", confirm="yes")
    assert page.status_code == 303
    assert stored_responses() == []
    assert "Deleted" in shopper.client.get(page.headers["Location"]).get_data(as_text=True)


def test_the_old_answers_address_leads_to_my_survey_data(client):
    page = client.get("/answers")
    assert page.status_code == 301 and page.headers["Location"] == "/me"


def test_another_browser_cannot_see_or_delete_someone_elses_answers(
    shopper, make_shopper, stored_responses
):
    shopper.submit("about-you", ABOUT_YOU)
    stranger = make_shopper()
    assert "Ikeja" not in stranger.client.get("/me").get_data(as_text=True)
    assert "Ikeja" not in stranger.open("about-you").get_data(as_text=True)
    stranger.post_action("/surveys/about-you", "/me/delete", confirm="yes")
    assert len(stored_responses()) == 1


def test_not_now_is_one_tap_and_hides_the_survey_for_the_configured_days(app, shopper):
    page = shopper.not_now("about-you")
    assert page.status_code == 303
    assert "30 days" in shopper.client.get(page.headers["Location"]).get_data(as_text=True)
    # Only the other survey is left to offer, so the index goes straight to it.
    assert shopper.client.get("/").headers["Location"] == "/surveys/where-you-shop"
    shopper.not_now("where-you-shop")
    assert "nothing to ask you" in shopper.client.get("/").get_data(as_text=True)


def test_not_now_expires_after_the_configured_days(app, shopper, settle):
    shopper.not_now("about-you")
    key = unsign(app.config["SECRET_KEY"], shopper.respondent_cookie())
    settle()
    with app.app_context():
        (dismissal,) = db.session.scalars(db.select(Dismissal))
        assert dismissal.until == date.today() + timedelta(days=30)
        offered_today = offered_surveys(db.session, respondent_hash(key), date.today())
        offered_later = offered_surveys(db.session, respondent_hash(key), dismissal.until)
    assert [s.slug for s in offered_today] == ["where-you-shop"]
    assert [s.slug for s in offered_later] == ["about-you", "where-you-shop"]


def test_not_now_days_come_from_config(make_app, shopper_of):
    app = make_app(NOT_NOW_DAYS=7)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    shopper = shopper_of(app)
    page = shopper.not_now("about-you")
    assert "7 days" in shopper.client.get(page.headers["Location"]).get_data(as_text=True)


def test_thank_you_page_offers_the_next_survey_this_browser_has_not_answered(shopper):
    shopper.submit("about-you", {"gender": "male"})
    text = shopper.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert 'href="/surveys/where-you-shop"' in text and "Answer “Where you shop from”" in text


def test_thank_you_page_offers_no_survey_already_answered_or_put_off(shopper, make_shopper):
    shopper.submit("where-you-shop", {"state": "NG-KN"})
    shopper.submit("about-you", {"gender": "male"})
    text = shopper.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert "/surveys/where-you-shop" not in text and "That is all for now" in text

    other = make_shopper()
    other.not_now("about-you")
    other.submit("where-you-shop", {"state": "NG-KN"})
    text = other.client.get("/surveys/where-you-shop/thanks").get_data(as_text=True)
    assert 'href="/surveys/about-you"' not in text and "That is all for now" in text


def test_thank_you_page_leads_back_to_the_survey_list_or_the_configured_shop(
    shopper, make_app, shopper_of
):
    shopper.submit("about-you", {"gender": "male"})
    text = shopper.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert '<a href="/">See all surveys</a>' in text

    app = make_app(SHOP_URL="https://shop.example.ng/")
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    browser = shopper_of(app)
    text = browser.client.get("/surveys/about-you/thanks").get_data(as_text=True)
    assert '<a href="https://shop.example.ng/">Back to the shop</a>' in text
    put_off = browser.client.get(browser.not_now("about-you").headers["Location"])
    assert '<a href="https://shop.example.ng/">Back to the shop</a>' in put_off.get_data(
        as_text=True
    )


def selected(page_text: str, field: str) -> str | None:
    """The value of the selected option of a <select>, None if none is."""
    options = page_text.split(f'id="{field}"')[1].split("</select>")[0]
    found = re.search(r'<option selected value="([^"]*)"', options)
    return found.group(1) if found else None


def test_where_you_shop_starts_from_the_state_and_lga_this_browser_gave_in_about_you(
    shopper, stored_responses
):
    shopper.submit("about-you", ABOUT_YOU)
    text = shopper.open("where-you-shop").get_data(as_text=True)
    assert selected(text, "state") == "NG-LA" and selected(text, "lga") == "NG-LA-11"
    assert "We filled in what you told us earlier in this browser" in text
    assert len(stored_responses()) == 1  # shown, not stored, until the shopper sends it


def test_the_prefill_is_this_browsers_latest_answer_and_only_a_real_one(shopper):
    shopper.submit("about-you", {"state": "NG-KN"})
    shopper.submit("about-you", {"state": "NG-OY", "lga": "NG-OY-01"})  # changed its mind
    text = shopper.open("where-you-shop").get_data(as_text=True)
    assert selected(text, "state") == "NG-OY" and selected(text, "lga") == "NG-OY-01"

    shopper.submit("about-you", {"state": "prefer_not_to_say", "gender": "male"})
    text = shopper.open("where-you-shop").get_data(as_text=True)
    assert selected(text, "state") is None and "We filled in" not in text


def test_the_prefill_reads_answers_already_settled_into_the_clear_rows(shopper, settle):
    shopper.submit("about-you", {"state": "NG-KN"})
    settle()
    assert selected(shopper.open("where-you-shop").get_data(as_text=True), "state") == "NG-KN"


def test_the_prefill_never_uses_another_browsers_answers(shopper, make_shopper, settle):
    shopper.submit("about-you", ABOUT_YOU)
    settle()  # in the clear rows too, not only in the journal
    stranger = make_shopper()
    stranger.submit("about-you", {"gender": "female"})  # a browser with answers of its own
    for browser in (stranger, make_shopper()):
        text = browser.open("where-you-shop").get_data(as_text=True)
        assert selected(text, "state") is None and "NG-LA-11" not in text
        assert "We filled in" not in text


def test_a_survey_already_answered_shows_its_own_answers_not_the_prefill(shopper):
    shopper.submit("where-you-shop", {"state": "NG-KN"})
    shopper.submit("about-you", {"state": "NG-LA"})
    text = shopper.open("where-you-shop").get_data(as_text=True)
    assert selected(text, "state") == "NG-KN" and "We filled in" not in text


@pytest.mark.parametrize("last", ["about-you", "festive-season"])
def test_the_prefill_takes_the_state_answered_last_across_surveys(app, shopper, last):
    with app.app_context():
        spec = "- {slug: festive-season, title: Festive season, questions: [state, income_band]}"
        catalogue.apply(db.session, catalogue.parse(spec))
        db.session.commit()
    first = "festive-season" if last == "about-you" else "about-you"
    shopper.submit(first, {"state": "NG-KN"})
    shopper.submit(last, {"state": "NG-EN"})  # the same day: the order of the visits decides
    text = shopper.open("where-you-shop").get_data(as_text=True)
    assert selected(text, "state") == "NG-EN" and selected(text, "lga") is None


def test_pages_that_show_a_browsers_answers_are_kept_by_no_cache(shopper):
    shopper.submit("about-you", ABOUT_YOU)
    for url in ("/surveys/where-you-shop", "/surveys/about-you", "/surveys/about-you/thanks"):
        assert shopper.client.get(url).headers["Cache-Control"] == "no-store"


def test_show_its_lgas_brings_the_page_back_at_the_lga_list(shopper):
    """The button posts to the page's address plus ``#lga``, so the browser comes back at the
    list, focused (tests/browser checks the scroll and the focus); sending does not."""
    form = shopper.open("where-you-shop").get_data(as_text=True)
    assert 'formaction="/surveys/where-you-shop#lga"' in form
    text = shopper.submit("where-you-shop", {"state": "NG-FC"}, action="refresh").get_data(
        as_text=True
    )
    assert 'formaction="/surveys/where-you-shop#lga"' in text and 'id="lga"' in text
    assert '<form method="post" id="survey" action="/surveys/where-you-shop"' in text


def test_the_survey_list_says_which_surveys_this_browser_answered(shopper, make_shopper):
    shopper.submit("about-you", {"gender": "male"})
    text = shopper.client.get("/").get_data(as_text=True)
    about_you = text.split('href="/surveys/about-you"')[1].split("</li>")[0]
    where = text.split('href="/surveys/where-you-shop"')[1].split("</li>")[0]
    assert "answered" in about_you and "answered" not in where
    assert "answered" not in make_shopper().client.get("/").get_data(as_text=True)
