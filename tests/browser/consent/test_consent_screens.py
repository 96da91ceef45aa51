"""The consent screens in a real Chromium: what a signed-in shopper sees and can do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pages import ConfirmPage, ConsentOffer, DemoShop, MyDataPage, SurveyPage, looks
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@contextmanager
def _on_a_phone_after_about_you(
    browser, live_server: str, java_script: bool, customer: str
) -> Iterator[Page]:
    """A 390 px phone, JavaScript on or off: ``customer`` signs in at /demo and answers
    "About you" (a state and an age band; no LGA, which needs no JavaScript)."""
    context = browser.new_context(
        base_url=live_server,
        java_script_enabled=java_script,
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    try:
        DemoShop(page).sign_in_as(customer)
        survey = SurveyPage(page, "about-you").open()
        page.select_option("#state", label="Lagos")
        survey.choose("25–34")
        survey.send()
        yield page
    finally:
        context.close()


def answer_about_you(page) -> None:  # type: ignore[no-untyped-def]
    survey = SurveyPage(page, "about-you").open()
    survey.choose_state_and_lga("Lagos", "Ikeja")
    survey.choose("25–34")
    survey.choose("Female")
    survey.send()


def test_the_offer_after_a_survey_lists_the_answers_unticked_with_yes_and_no_equally_prominent(
    page, csp_violations
):
    DemoShop(page).sign_in_as("Adaeze, who orders from Ikeja")
    answer_about_you(page)
    offer = ConsentOffer(page)
    assert offer.form.is_visible()
    answered = ["state", "lga", "age_band", "gender"]  # the income band was skipped
    assert offer.checkboxes().count() == len(answered)
    for attribute in answered:
        assert not offer.checkbox(attribute).is_checked()
    assert offer.checkbox("income_band").count() == 0
    assert offer.yes.is_visible() and offer.no.is_visible()
    assert looks(offer.yes) == looks(offer.no)
    yes_box, no_box = offer.yes.bounding_box(), offer.no.bounding_box()
    assert yes_box["y"] == no_box["y"]  # side by side, neither hidden below the other
    assert csp_violations == []


def test_yes_links_the_ticked_answers_and_the_receipt_downloads(page, csp_violations):
    DemoShop(page).sign_in_as("Adaeze, who orders from Ikeja")
    answer_about_you(page)
    ConsentOffer(page).accept("state", "age_band")
    me = MyDataPage(page)
    text = me.text()
    assert "the shop may use: State and Age band" in text
    assert "Ikeja" in text and "shared with the shop" in text
    receipt = me.latest_receipt()
    assert receipt["consentStatus"] == "given"
    assert receipt["services"][0]["purposes"][0]["piiCategory"] == ["State", "Age band"]
    export = me.export()
    assert export["personalisation"]["attributes"] == ["state", "age_band"]
    assert csp_violations == []


def test_withdrawal_keeping_the_answers_is_one_click_and_the_link_is_gone(page, csp_violations):
    DemoShop(page).sign_in_as("Musa, a new customer in Kano")
    answer_about_you(page)
    ConsentOffer(page).accept("gender")
    me = MyDataPage(page)
    me.withdraw_keep.click()
    page.wait_for_url("**/me?done=withdrawn-kept*")
    text = me.text()
    assert "Withdrawn. The link is gone" in text
    assert "Nothing is linked to your shop account" in text
    assert "Withdrew, answers kept anonymous" in me.choices().inner_text()
    assert "Ikeja" in text  # still this browser's, anonymous as anyone's
    assert me.latest_receipt()["consentStatus"] == "withdrawn"
    assert csp_violations == []


def test_deleting_buttons_look_dangerous_by_more_than_colour(page):
    DemoShop(page).sign_in_as("Musa, a new customer in Kano")
    answer_about_you(page)
    ConsentOffer(page).accept("gender")
    me = MyDataPage(page)
    keep, delete = looks(me.withdraw_keep), looks(me.withdraw_delete)
    assert delete["background"] != keep["background"]
    assert delete["border"] != keep["border"]  # a heavier, darker edge, not only a colour
    assert delete["fontWeight"] != keep["fontWeight"]
    for button in (me.withdraw_delete, me.delete_everything):
        assert button.inner_text().startswith("⚠")  # a sign, hidden from screen readers
        assert "danger" in button.get_attribute("class").split()


@pytest.mark.parametrize("java_script", [True, False], ids=["js", "no-js"])
def test_withdrawing_with_delete_asks_again_and_cancel_keeps_everything(
    browser, live_server, java_script
):
    """On a phone: "Yes" and "Cancel" are the same size, one above the other."""
    with _on_a_phone_after_about_you(
        browser, live_server, java_script, "Tolu, who has shopped for years"
    ) as page:
        ConsentOffer(page).accept("state")
        me = MyDataPage(page)
        me.withdraw_delete.click()
        page.wait_for_url("**/me/consent/withdraw")  # not /me's own heading, still showing
        confirm = ConfirmPage(page)
        assert confirm.heading.inner_text() == "Withdraw and delete your answers?"
        yes, cancel = looks(confirm.yes), looks(confirm.cancel)
        assert (yes["width"], yes["height"]) == (cancel["width"], cancel["height"])
        confirm.cancel.click()
        page.wait_for_url("**/me#personalisation")
        assert "the shop may use: State" in me.text()

        me.withdraw_delete.click()
        ConfirmPage(page).yes.click()
        page.wait_for_url("**/me?done=withdrawn-deleted*")
        text = me.text()
        assert "your answers are deleted" in text and "Lagos" not in text


def test_delete_everything_asks_again_first(page):
    DemoShop(page).sign_in_as("Adaeze, who orders from Ikeja")
    answer_about_you(page)
    me = MyDataPage(page).open()
    me.delete_everything.click()
    page.wait_for_url("**/me/delete")  # not /me's own heading, still showing
    assert ConfirmPage(page).heading.inner_text() == "Delete everything?"
    assert "Ikeja" in me.open().text()  # asking deleted nothing
    me.delete_everything.click()
    ConfirmPage(page).yes.click()
    page.wait_for_url("**/me?done=deleted*")
    assert "Ikeja" not in me.text()


def test_no_thanks_links_nothing(page):
    DemoShop(page).sign_in_as("Musa, a new customer in Kano")
    answer_about_you(page)
    ConsentOffer(page).decline()
    text = MyDataPage(page).text()
    assert "Nothing is linked" in text
    assert "You have not made a choice about personalisation yet" in text


def in_view_and_focused(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    """Where ``selector`` is against the viewport, and whether it has the focus (after the
    load event: layout before the stylesheet applies is not what the shopper sees)."""
    page.wait_for_load_state("load")
    return page.locator(selector).evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            return {top: box.top, bottom: box.bottom, height: window.innerHeight,
                    focused: document.activeElement === element};
        }"""
    )


@pytest.mark.parametrize("java_script", [True, False], ids=["js", "no-js"])
def test_yes_with_nothing_ticked_shows_the_error_on_the_thank_you_page_in_view_and_focused(
    browser, live_server, java_script
):
    """On a phone, with or without JavaScript: the error is where the shopper pressed."""
    with _on_a_phone_after_about_you(
        browser, live_server, java_script, "Adaeze, who orders from Ikeja"
    ) as page:
        offer = ConsentOffer(page)
        offer.checkbox("state").wait_for()
        offer.yes.click()
        page.wait_for_url("**/surveys/about-you/thanks#consent-error")
        assert page.get_by_role("heading", name="Thank you").is_visible()
        summary = page.locator("#consent-error")
        assert "Tick at least one answer" in summary.inner_text()
        # Autofocus and the #consent-error fragment take effect when the page is first drawn,
        # which can come after the load event: wait for the focus, then measure.
        expect(summary).to_be_focused()
        where = in_view_and_focused(page, "#consent-error")
        assert where["focused"], "the error summary has the focus"
        assert 0 <= where["top"] and where["bottom"] <= where["height"], where
        assert (
            "You have not made a choice about personalisation yet" in MyDataPage(page).open().text()
        )


def test_the_demo_sign_in_keeps_the_subject_out_of_every_cookie(page):
    DemoShop(page).sign_in_as("Adaeze, who orders from Ikeja")
    answer_about_you(page)
    ConsentOffer(page).accept("state")
    cookies = page.context.cookies()
    assert {cookie["name"] for cookie in cookies} >= {"signin", "respondent"}
    assert all("demo-customer" not in cookie["value"] for cookie in cookies)
    assert all(cookie["httpOnly"] for cookie in cookies)
