"""Hypothesis throws arbitrary input at the cookie parser, the survey form, the shop's
sign-in tokens and the profile API's batch body, including the shapes that once gave 500s:
JSON nested thousands deep (RecursionError) and lone surrogates (UnicodeEncodeError)."""

import json
from datetime import UTC, datetime

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveys import reference
from surveys.extensions import db
from surveys.models import UsedToken
from surveys.questions import QUESTIONS
from surveys.services import api_clients, respondents, shop_tokens
from surveys.services.answers import answer_errors

SECRET = "a-test-secret-that-is-long-enough-for-hmac"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ANY_TEXT = st.text(max_size=80)
#: Lone surrogates ("\ud800"): legal in JSON and in a Python str, but not text UTF-8 encodes.
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
# (Joined by hand: st.text leaves surrogates out whatever alphabet it is given.)
TEXT_WITH_SURROGATES = st.lists(
    st.one_of(st.characters(codec="utf-8"), SURROGATE), min_size=1, max_size=40
).map("".join)
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
    st.none(),
    st.integers(),
    st.text(max_size=140),
    TEXT_WITH_SURROGATES,
    st.lists(st.text(max_size=5), max_size=2),
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


def nested(depth: int, opener: str, inside: str) -> str:
    """JSON nested ``depth`` deep, built as text: json.dumps itself recurses too deeply."""
    closer = {"[": "]", '{"a":': "}"}[opener]
    return opener * depth + inside + closer * depth


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["subjects", "x"]), children, max_size=2)
    ),
    max_leaves=12,
)
SUBJECTS = st.lists(st.one_of(ANY_TEXT, TEXT_WITH_SURROGATES), max_size=5)
BATCH_BODY = st.one_of(
    JSON_VALUE.map(json.dumps),
    SUBJECTS.map(lambda subjects: json.dumps({"subjects": subjects})),  # \udxxx escapes
    st.builds(
        lambda depth, opener, subjects: nested(depth, opener, json.dumps(subjects)),
        # Up to past the parser's recursion limit (~1,000), inside the 16 KiB body limit.
        st.integers(min_value=1, max_value=2500),
        st.sampled_from(["[", '{"a":']),
        SUBJECTS,
    ),
    st.builds(
        lambda depth, subjects: '{"subjects": ' + nested(depth, "[", json.dumps(subjects)) + "}",
        st.integers(min_value=1, max_value=5000),
        SUBJECTS,
    ),
    st.binary(max_size=60),
)


@pytest.fixture
def profiles_token(app):
    with app.app_context():
        made = api_clients.create(
            db.session, "fuzzer", api_clients.DEFAULT_SCOPES, datetime.now(UTC)
        )
        db.session.commit()
        return made.token


@FUZZ
@given(BATCH_BODY)
def test_any_batch_body_is_answered_or_refused_as_a_problem_never_a_500(app, profiles_token, body):
    response = app.test_client().post(
        "/api/v1/profiles/batch",
        data=body,
        headers={"Authorization": f"Bearer {profiles_token}", "Content-Type": "application/json"},
    )
    assert response.status_code in {200, 400}, (response.status_code, body[:80])
    if response.status_code == 400:
        assert response.mimetype == "application/problem+json" and response.json["detail"]
    else:
        assert isinstance(response.json["profiles"], list)
