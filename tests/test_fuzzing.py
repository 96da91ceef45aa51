"""Hypothesis throws arbitrary input at the cookie parser and the survey form."""

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveys import reference
from surveys.extensions import db
from surveys.models import UsedToken
from surveys.questions import QUESTIONS
from surveys.services import respondents, shop_tokens
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


SIGNING_KEY = "a-shop-signing-key-of-at-least-32-bytes!"
CLAIM = st.one_of(
    st.none(), st.integers(), st.text(max_size=140), st.lists(st.text(max_size=5), max_size=2)
)


@FUZZ
@given(
    st.one_of(
        ANY_TEXT,
        st.builds(lambda a, b, c: f"{a}.{b}.{c}", ANY_TEXT, ANY_TEXT, ANY_TEXT),
        st.dictionaries(st.sampled_from(["sub", "aud", "iat", "exp", "jti", "nbf"]), CLAIM).map(
            lambda claims: jwt.encode(claims, SIGNING_KEY, algorithm="HS256")
        ),
    )
)
def test_any_shop_token_is_either_valid_or_refused_with_a_reason(app, token):
    """The hand-off parser never fails any other way, and a refused token writes nothing."""
    with app.app_context():
        subject, failure = None, None
        try:
            subject = shop_tokens.verify(db.session, token, SIGNING_KEY)
        except shop_tokens.InvalidShopToken as refused:
            failure = refused.failure
        used = db.session.scalar(select(func.count()).select_from(UsedToken))
        db.session.rollback()
    if failure is not None:
        assert isinstance(failure, shop_tokens.Failure)
        assert used == 0, "a refused token wrote something"
    else:
        assert isinstance(subject, str) and 0 < len(subject) <= 128 and used == 1
