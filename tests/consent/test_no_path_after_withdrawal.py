"""Property: once consent is withdrawn, nothing that starts from a subject reaches an answer.

Whatever a shopper did before (answer from several browsers, give, change, withdraw, give
again), after the last withdrawal the identity store holds no respondent key, no hash of one
and nothing that decrypts to one, and every service that starts from the subject finds no
answer. The answers store, for its part, never holds the subject.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import InvalidToken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import Response
from surveys.models.identity import IDENTITY
from surveys.services import answers as answer_service
from surveys.services import catalogue, my_data, profiles
from surveys.services import consent as consent_service
from surveys.services.respondents import new_key, respondent_hash

ANSWER_SETS = [
    ("about-you", {"state": "NG-LA", "lga": "NG-LA-11", "age_band": "age_25_34"}),
    ("about-you", {"gender": "female", "income_band": "income_below_70k"}),
    ("about-you", {"state": "prefer_not_to_say", "gender": "male"}),
    ("where-you-shop", {"state": "NG-KN"}),
    ("where-you-shop", {"state": "NG-FC", "lga": "NG-FC-01"}),
]
ATTRIBUTE_SETS = [
    ["state"], ["state", "lga"], ["age_band", "gender"], ["income_band"],
    ["state", "lga", "age_band", "income_band", "gender"],
]  # fmt: skip

steps = st.lists(
    st.one_of(
        st.tuples(st.just("answer"), st.sampled_from(ANSWER_SETS)),
        st.tuples(st.just("give"), st.sampled_from(ATTRIBUTE_SETS)),
        st.tuples(st.just("change"), st.sampled_from(ATTRIBUTE_SETS)),
        st.tuples(st.just("withdraw"), st.booleans()),
        st.tuples(st.just("other_browser"), st.none()),
    ),
    max_size=12,
)


def identity_values() -> list[str]:
    """Every value in every identity-store table, as text, read past the ORM."""
    values = []
    with db.engines[IDENTITY].connect() as connection:
        for table in db.metadatas[IDENTITY].sorted_tables:
            for row in connection.execute(select(table)):
                values += [str(value) for value in row]
    return values


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps, finally_delete=st.booleans())
def test_after_withdrawal_no_query_path_from_a_subject_reaches_any_answer(
    app, history, finally_delete
):
    subject = f"cust-{uuid.uuid4()}"
    keys = [new_key()]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        session = db.session
        cipher = consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])
        for action, argument in history:
            now += timedelta(minutes=1)
            if action == "answer":
                slug, given_answers = argument
                survey = catalogue.find(session, slug)
                answer_service.save_answers(
                    session, survey, respondent_hash(keys[-1]), given_answers, date.today()
                )
            elif action == "give":
                consent_service.give(session, subject, argument, "privacy-page", keys[-1],
                                     cipher, now)  # fmt: skip
            elif action == "change" and consent_service.current(session, subject):
                consent_service.change(session, subject, argument, "privacy-page", now)
            elif action == "withdraw":
                consent_service.withdraw(session, subject, argument, "privacy-page", cipher, now)
            elif action == "other_browser":
                keys.append(new_key())
            session.commit()

        consent_service.withdraw(session, subject, finally_delete, "privacy-page", cipher, now)
        session.commit()

        # Every service that starts from a subject finds nothing.
        assert consent_service.current(session, subject) is None
        assert consent_service.linked_respondent_hash(session, subject, cipher) is None
        assert profiles.profile_of(session, subject, cipher) is None
        found = my_data.gather(session, subject, None, cipher)
        assert found.browser_responses == [] and found.linked_responses == []

        # And the identity store holds nothing that could lead there.
        secrets_of_answers = set(keys) | {respondent_hash(key) for key in keys}
        for value in identity_values():
            assert not any(secret in value for secret in secrets_of_answers)
            try:
                cipher.decrypt(value)
            except (InvalidToken, ValueError, UnicodeError):
                continue
            raise AssertionError("the identity store still holds an encrypted respondent key")

        # The answers store never learnt the subject.
        for response in session.scalars(select(Response)):
            assert subject not in repr(response.answers())
        session.remove()
