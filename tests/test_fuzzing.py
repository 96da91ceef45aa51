"""Hypothesis throws arbitrary input at the cookie parser and the survey form."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import reference
from surveys.questions import QUESTIONS
from surveys.services import respondents
from surveys.services.answers import answer_errors

SECRET = "a-test-secret-that-is-long-enough-for-hmac"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ANY_TEXT = st.text(max_size=80)
SOME_CODE = st.one_of(
    st.sampled_from([*reference.geography().states, *list(reference.geography().lgas)[:50]]),
    st.sampled_from([*reference.AGE_BANDS, *reference.INCOME_BANDS, *reference.GENDERS]),
    st.just(reference.PREFER_NOT_TO_SAY),
    st.just(""),
    ANY_TEXT,
)


@given(ANY_TEXT)
def test_any_cookie_value_is_either_a_key_or_refused_as_tampered(value):
    try:
        key = respondents.unsign(SECRET, value)
    except respondents.TamperedCookie:
        return
    assert respondents.sign(SECRET, key) == value


@given(
    st.text(
        min_size=40,
        max_size=64,
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    )
)
def test_a_key_signed_with_another_secret_is_refused(key):
    forged = respondents.sign("some-other-secret-of-the-same-length-123", key)
    try:
        respondents.unsign(SECRET, forged)
    except respondents.TamperedCookie:
        return
    raise AssertionError("a cookie signed with another secret was accepted")


@given(st.dictionaries(st.sampled_from(list(QUESTIONS)), SOME_CODE))
def test_answers_are_valid_exactly_when_every_code_is_offered(answers):
    cleaned = {key: (code or None) for key, code in answers.items()}
    errors = answer_errors(list(QUESTIONS), cleaned)
    for key, code in cleaned.items():
        if code is None or code == reference.PREFER_NOT_TO_SAY:
            assert key not in errors
        elif key == "lga":
            assert (key in errors) != (code in reference.lga_choices(cleaned.get("state")))
        else:
            assert (key in errors) != (code in QUESTIONS[key].choices())


@FUZZ
@given(st.dictionaries(st.sampled_from([*QUESTIONS, "action", "extra"]), SOME_CODE))
def test_any_form_post_is_stored_validly_or_refused_never_a_500(shopper, stored_responses, form):
    page = shopper.submit("about-you", form)
    assert page.status_code in {200, 303, 400}, page.status_code
    for row in stored_responses():
        stored = {key: code for key, code in row.answers().items() if code is not None}
        assert answer_errors(list(QUESTIONS), stored) == {}
        assert row.age_band != reference.UNDER_18
