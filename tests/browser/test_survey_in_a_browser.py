"""A shopper answers surveys in a real Chromium, with JavaScript on and off."""

import re

from playwright.sync_api import expect

from tests.browser.pages import SurveyPage


def test_with_javascript_the_lga_list_follows_the_state_without_a_reload(
    page, live_server, stored_responses
):
    survey = SurveyPage(page, live_server, "about-you").open()
    page.wait_for_load_state("networkidle")
    expect(survey.show_lgas_button()).to_have_count(0)  # the script replaced it
    survey.choose_state("Federal Capital Territory")
    assert survey.lga_names() == [
        "Choose…", "Abaji", "Abuja Municipal", "Bwari", "Gwagwalada", "Kuje", "Kwali",
        "Prefer not to say",
    ]  # fmt: skip
    survey.choose_state("Lagos")
    assert "Ikeja" in survey.lga_names() and "Bwari" not in survey.lga_names()
    survey.choose_lga("Ikeja")
    survey.choose("age_band", "25–34")
    survey.choose("gender", "Male")
    survey.send()
    expect(page.locator("h1")).to_have_text("Thank you")
    expect(page.locator(".summary")).to_contain_text("Ikeja")
    (row,) = stored_responses()
    assert (row.state_code, row.lga_code, row.age_band, row.gender) == (
        "NG-LA", "NG-LA-11", "age_25_34", "male",
    )  # fmt: skip
    assert page.console_problems == []


def test_without_javascript_show_its_lgas_reloads_the_form_with_that_states_lgas(
    page_without_js, live_server, stored_responses
):
    page = page_without_js
    survey = SurveyPage(page, live_server, "where-you-shop").open()
    assert survey.lga_names() == ["Choose…", "Prefer not to say"]
    survey.choose_state("Bayelsa")
    survey.show_lgas()
    expect(page.locator("#lga option")).to_have_count(8 + 2)  # once the new page is in
    assert page.locator("#state").input_value() == "NG-BY"
    survey.choose_lga("Yenagoa")
    survey.send()
    expect(page.locator("h1")).to_have_text("Thank you")
    (row,) = stored_responses()
    assert (row.state_code, row.lga_code) == ("NG-BY", "NG-BY-08")


def test_without_javascript_show_its_lgas_comes_back_at_the_lga_question_with_focus_there(
    page_without_js, live_server
):
    page = page_without_js
    survey = SurveyPage(page, live_server, "about-you").open()
    survey.choose_state("Kano")
    survey.show_lgas()
    expect(page).to_have_url(re.compile(r"/surveys/about-you#lga$"))
    expect(page.locator("#lga")).to_be_focused()
    assert page.evaluate("window.scrollY") > 0  # not back at the top of the page
    assert 0 <= survey.question_top("lga") < 120  # the question's legend is in view, near the top
    assert len(survey.lga_names()) == 44 + 2  # Kano's
    survey.choose_lga("Dala")
    survey.send()
    expect(page.locator("h1")).to_have_text("Thank you")
    assert "#" not in page.url


def test_a_mismatched_lga_shows_an_error_summary_that_links_to_the_field(
    page_without_js, live_server, stored_responses
):
    page = page_without_js
    survey = SurveyPage(page, live_server, "where-you-shop").open()
    survey.choose_state("Kano")
    survey.show_lgas()
    survey.choose_lga("Dala")
    survey.choose_state("Lagos")  # changed without pressing "Show its LGAs"
    survey.send()
    assert "Choose a local government area in Lagos" in survey.error_summary()
    page.click("#error-summary a")
    expect(page).to_have_url(re.compile(r"#lga$"))
    assert stored_responses() == []


def test_the_error_summary_takes_focus_when_javascript_is_on(page, live_server):
    survey = SurveyPage(page, live_server, "about-you").open()
    page.wait_for_load_state("networkidle")
    # Post a code the form does not offer, as a stale or forged page would.
    page.evaluate("document.querySelector('input[name=gender]').value = 'robot'")
    page.locator("input[name=gender]").first.check()
    survey.send()
    expect(page.locator("#error-summary")).to_be_focused()


def test_not_now_is_one_tap_and_the_survey_is_not_offered_again(page, live_server):
    survey = SurveyPage(page, live_server, "about-you").open()
    survey.not_now()
    expect(page.locator("main")).to_contain_text("30 days")
    page.goto(f"{live_server}/")
    assert page.url.endswith("/surveys/where-you-shop")  # the only survey left to offer


def test_a_shopper_comes_back_sees_their_answers_and_changes_them(
    page, live_server, stored_responses
):
    survey = SurveyPage(page, live_server, "about-you").open()
    survey.choose("income_band", "₦70,000 – ₦149,999")
    survey.send()
    survey.open()
    assert survey.checked("income_band") == "income_70k_150k"
    survey.choose("income_band", "Prefer not to say")
    survey.send()
    (row,) = stored_responses()
    assert row.income_band == "prefer_not_to_say"


def test_a_shopper_deletes_their_answers(page, live_server, stored_responses):
    survey = SurveyPage(page, live_server, "about-you").open()
    survey.choose("gender", "Female")
    survey.send()
    survey.open()
    survey.delete_answers()
    expect(page.locator("[role=status]")).to_contain_text("Deleted")
    assert stored_responses() == []


def test_the_whole_survey_works_from_the_keyboard(page, live_server, stored_responses):
    SurveyPage(page, live_server, "about-you").open()
    page.wait_for_load_state("networkidle")
    focused = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
        if focused[-1] == "gender-0":
            break
    assert "state" in focused and "lga" in focused and "age_band-0" in focused
    page.keyboard.press("Space")  # Female
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("h1")).to_have_text("Thank you")
    (row,) = stored_responses()
    assert row.gender == "female"


def test_pages_make_no_request_to_another_site_and_break_no_csp_rule(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    SurveyPage(page, live_server, "about-you").open()
    page.wait_for_load_state("networkidle")
    assert requests and all(url.startswith(live_server) for url in requests)
    assert page.console_problems == []
