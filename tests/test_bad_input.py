"""Bad input gets a clear 4xx and leaves nothing stored; never a 500."""

import re

import pytest


def test_a_post_without_a_csrf_token_is_refused_and_stores_nothing(client, stored_responses):
    page = client.post("/surveys/about-you", data={"gender": "male"})
    assert page.status_code == 400
    assert "This form has expired" in page.get_data(as_text=True)
    assert stored_responses() == []


def test_a_forged_csrf_token_is_refused(shopper, stored_responses):
    shopper.open("about-you")
    page = shopper.client.post(
        "/surveys/about-you", data={"csrf_token": "forged.token.value", "gender": "male"}
    )
    assert page.status_code == 400
    assert stored_responses() == []


def test_a_token_from_another_browser_is_refused(
    csrf_from, shopper, make_shopper, stored_responses
):
    token = csrf_from(shopper.open("about-you"))
    other = make_shopper()
    other.open("about-you")
    page = other.client.post("/surveys/about-you", data={"csrf_token": token, "gender": "male"})
    assert page.status_code == 400
    assert stored_responses() == []


@pytest.mark.parametrize(
    "path", ["/surveys/about-you/not-now", "/surveys/about-you/delete", "/me/delete"]
)
def test_every_action_form_checks_csrf(client, path):
    assert client.post(path).status_code == 400


def test_a_tampered_respondent_cookie_is_refused_cleared_and_nothing_is_stored(
    shopper, stored_responses
):
    shopper.submit("about-you", {"gender": "male"})
    value = shopper.respondent_cookie()
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    shopper.client.set_cookie("respondent", tampered)
    page = shopper.submit("about-you", {"gender": "female"})
    assert page.status_code == 400
    assert "cookie could not be read" in page.get_data(as_text=True)
    assert re.search(r"respondent=; Expires=Thu, 01 Jan 1970", page.headers["Set-Cookie"])
    assert [row.gender for row in stored_responses()] == ["male"]


def test_a_tampered_cookie_only_reads_as_no_answers(shopper):
    shopper.submit("about-you", {"gender": "male"})
    shopper.client.set_cookie("respondent", "not-a-signed-value")
    page = shopper.client.get("/me")
    assert page.status_code == 200
    assert "no answers stored" in page.get_data(as_text=True)


def test_an_oversized_body_is_refused(csrf_from, shopper, stored_responses):
    token = csrf_from(shopper.open("about-you"))
    page = shopper.client.post(
        "/surveys/about-you", data={"csrf_token": token, "gender": "male", "padding": "x" * 20_000}
    )
    assert page.status_code == 413
    assert "too much to send" in page.get_data(as_text=True)
    assert stored_responses() == []


def test_a_survey_that_does_not_exist_is_a_404_page(client):
    page = client.get("/surveys/no-such-survey")
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)
    assert client.post("/surveys/no-such-survey").status_code in {400, 404}


def test_an_inactive_survey_is_not_shown_or_accepted(
    csrf_from, shopper, set_survey, stored_responses
):
    token = csrf_from(shopper.open("about-you"))
    set_survey("about-you", active=False)
    assert shopper.open("about-you").status_code == 404
    page = shopper.client.post("/surveys/about-you", data={"csrf_token": token, "gender": "male"})
    assert page.status_code == 404
    assert stored_responses() == []
    assert "About you" not in shopper.client.get("/").get_data(as_text=True)


def test_a_survey_outside_its_window_is_closed(client, set_survey):
    from datetime import date, timedelta

    set_survey("about-you", closes_on=date.today() - timedelta(days=1))
    assert client.get("/surveys/about-you").status_code == 404
    set_survey("about-you", closes_on=None, opens_on=date.today() + timedelta(days=1))
    assert client.get("/surveys/about-you").status_code == 404


def test_a_question_the_survey_does_not_ask_is_ignored(shopper, stored_responses):
    shopper.submit("where-you-shop", {"state": "NG-OY", "gender": "male"})
    (row,) = stored_responses()
    assert row.state_code == "NG-OY" and row.gender is None


def test_a_wrong_method_gets_a_clear_page(client):
    page = client.put("/surveys/about-you")
    assert page.status_code == 405
    assert "not allowed" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/surveys/%00", "/surveys/about-you%00", "/surveys/ABOUT-YOU"])
def test_a_survey_address_that_is_not_a_slug_is_a_404_on_every_database(client, path):
    """PostgreSQL refuses NUL bytes in text: such an address must still be a plain 404."""
    page = client.get(path)
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)
