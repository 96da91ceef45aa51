"""The consent rules without HTTP: the profile a consent lets out, and the proof it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from surveys.extensions import db
from surveys.models import ConsentLink, ConsentRecord, Response
from surveys.models.identity import AppendOnlyViolation
from surveys.services import answers, catalogue, profiles
from surveys.services import consent as consent_service
from surveys.services.respondents import new_key, respondent_hash

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session, consent_service.cipher_for(app.config["LINK_ENCRYPTION_KEY"])


def answer(session, slug: str, key: str, given: dict, day: date) -> None:
    survey = catalogue.find(session, slug)
    answers.save_answers(session, survey, respondent_hash(key), given, day)


def test_the_profile_is_the_latest_answer_to_each_consented_attribute_across_surveys(ctx):
    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA", "lga": "NG-LA-11", "gender": "male"},
           date(2026, 1, 1))  # fmt: skip
    answer(session, "where-you-shop", key, {"state": "NG-KN"}, date(2026, 3, 1))
    consent_service.give(session, "s1", ["state", "gender", "age_band"], "privacy-page", key,
                         cipher, NOW)  # fmt: skip
    profile = profiles.profile_of(session, "s1", cipher)
    # State from the later survey; gender from the only one that asked; no age band answered.
    assert profile.attributes == {"state": "NG-KN", "gender": "male"}
    assert profile.notice_version == consent_service.NOTICE_VERSION
    assert profile.consent_changed_at == NOW
    assert profile.answers_updated_on == date(2026, 3, 1)


def test_the_profile_leaves_out_attributes_not_consented_to(ctx):
    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA", "income_band": "income_below_70k"},
           date(2026, 1, 1))  # fmt: skip
    consent_service.give(session, "s2", ["income_band"], "privacy-page", key, cipher, NOW)
    assert profiles.profile_of(session, "s2", cipher).attributes == {
        "income_band": "income_below_70k"
    }


def test_prefer_not_to_say_is_the_latest_word_and_hides_older_answers(ctx):
    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA", "gender": "female"}, date(2026, 1, 1))
    answer(session, "where-you-shop", key, {"state": "prefer_not_to_say"}, date(2026, 2, 1))
    consent_service.give(session, "s3", ["state", "gender"], "privacy-page", key, cipher, NOW)
    assert profiles.profile_of(session, "s3", cipher).attributes == {"gender": "female"}


def test_an_lga_is_never_given_outside_the_state_given(ctx):
    """Otherwise an old LGA would reveal a state the shopper has since withheld or changed."""
    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA", "lga": "NG-LA-11"}, date(2026, 1, 1))
    answer(session, "where-you-shop", key, {"state": "NG-KN"}, date(2026, 2, 1))
    consent_service.give(session, "s4", ["state", "lga"], "privacy-page", key, cipher, NOW)
    assert profiles.profile_of(session, "s4", cipher).attributes == {"state": "NG-KN"}


def test_no_consent_no_answers_and_unknown_subjects_all_give_none(ctx):
    session, cipher = ctx
    key = new_key()
    consent_service.give(session, "no-answers", ["state"], "privacy-page", key, cipher, NOW)
    answer(session, "about-you", key, {"gender": "male"}, date(2026, 1, 1))  # not consented
    assert profiles.profile_of(session, "no-answers", cipher) is None
    assert profiles.profile_of(session, "never-seen", cipher) is None


def test_withdrawal_ends_the_profile_at_once(ctx):
    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA"}, date(2026, 1, 1))
    consent_service.give(session, "s5", ["state"], "privacy-page", key, cipher, NOW)
    consent_service.withdraw(session, "s5", False, "privacy-page", cipher, NOW)
    assert profiles.profile_of(session, "s5", cipher) is None
    assert consent_service.linked_respondent_hash(session, "s5", cipher) is None
    assert session.scalars(select(ConsentLink)).all() == []


def test_records_sort_in_the_order_they_were_made_even_within_one_clock_tick(ctx):
    session, cipher = ctx
    key = new_key()
    consent_service.give(session, "s6", ["state"], "privacy-page", key, cipher, NOW)
    consent_service.change(session, "s6", ["gender"], "privacy-page", NOW)
    consent_service.withdraw(session, "s6", False, "privacy-page", cipher, NOW)
    history = consent_service.history(session, "s6")
    assert [r.status for r in history] == ["withdrawn", "given", "given"]
    assert history[1].attributes == ["gender"]
    assert history[0].given_at > history[1].given_at > history[2].given_at


def test_consent_records_cannot_be_changed_or_deleted(ctx):
    session, cipher = ctx
    record = consent_service.give(session, "s7", ["state"], "privacy-page", new_key(), cipher, NOW)
    session.commit()
    record.attributes = ["state", "gender"]
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    session.delete(session.get(ConsentRecord, record.id))
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    with pytest.raises(AppendOnlyViolation):
        session.execute(update(ConsentRecord).values(status="withdrawn"))
    with pytest.raises(AppendOnlyViolation):
        session.execute(delete(ConsentRecord))
    session.rollback()
    assert session.scalars(select(ConsentRecord.attributes)).all() == [["state"]]


def test_the_store_refuses_a_withdrawal_that_does_not_say_what_happened_to_the_answers(ctx):
    from sqlalchemy.exc import IntegrityError

    session, _ = ctx
    session.add(
        ConsentRecord(subject="s8", purpose="personalisation", attributes=["state"],
                      notice_version="x", given_at=NOW, method="privacy-page", status="withdrawn")
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_naive_times_are_refused_by_the_identity_store(ctx):
    session, cipher = ctx
    with pytest.raises(Exception, match="timezone-aware"):
        consent_service.give(session, "s9", ["state"], "privacy-page", new_key(), cipher,
                             datetime(2026, 1, 1))  # fmt: skip
    session.rollback()


def test_profile_reads_are_logged_newest_first(ctx):
    session, _ = ctx
    profiles.record_read(session, "s10", "recs", ["state"], NOW)
    profiles.record_read(session, "s10", "recs", ["gender"], NOW + timedelta(1))
    reads = profiles.reads_of(session, "s10")
    assert [read.attributes for read in reads] == [["gender"], ["state"]]
    assert reads[0].read_at.tzinfo is not None


def test_a_second_encryption_key_can_be_added_to_rotate_keys(app, ctx):
    from cryptography.fernet import Fernet

    session, cipher = ctx
    key = new_key()
    answer(session, "about-you", key, {"state": "NG-LA"}, date(2026, 1, 1))
    consent_service.give(session, "s11", ["state"], "privacy-page", key, cipher, NOW)
    rotated = consent_service.LinkCipher(
        f"{Fernet.generate_key().decode()},{app.config['LINK_ENCRYPTION_KEY']}"
    )
    assert profiles.profile_of(session, "s11", rotated).attributes == {"state": "NG-LA"}


def test_the_answers_store_has_no_column_that_could_name_a_person():
    """The answers store keeps its shape: consent added nothing to it."""
    assert {column.name for column in Response.__table__.columns} == {
        "id", "survey_id", "respondent_hash", "state_code", "lga_code", "age_band",
        "income_band", "gender", "submitted_on", "updated_on",
    }  # fmt: skip


def _tampered(token: str, at: int) -> str:
    """``token`` with one bit of its byte ``at`` flipped (from the end if negative)."""
    import base64

    data = bytearray(base64.urlsafe_b64decode(token))
    data[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(data)).decode()


def test_a_page_of_links_decrypts_as_fernet_does_one_at_a_time_under_rotated_keys():
    """The bulk sync decrypts a page's links in one call: the same hashes as a single read's,
    whichever of the keys each link was encrypted under."""
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before, rotated = consent_service.LinkCipher(old), consent_service.LinkCipher(f"{new},{old}")
    keys = [new_key() for _ in range(50)] + ["", "k" * 15, "k" * 16, "k" * 17, "k" * 100]
    tokens = [(before if n % 3 == 0 else rotated).encrypt(k) for n, k in enumerate(keys)]
    assert rotated.respondent_hashes(tokens) == [respondent_hash(k) for k in keys]
    assert rotated.respondent_hashes(tokens) == [
        rotated.respondent_hash_uncached(t) for t in tokens
    ]
    assert rotated.respondent_hashes([]) == []


@pytest.mark.parametrize("at", [0, 1, 9, 24, 25, -33, -1], ids=lambda at: f"byte {at}")
def test_a_page_with_one_altered_link_is_refused_whole_as_fernet_refuses_it(at):
    """Version, time, IV, ciphertext or MAC: any change fails the HMAC, as in Fernet."""
    from cryptography.fernet import Fernet, InvalidToken

    cipher = consent_service.LinkCipher(Fernet.generate_key().decode())
    tokens = [cipher.encrypt(new_key()) for _ in range(3)]
    tokens[1] = _tampered(tokens[1], at)
    with pytest.raises(InvalidToken):
        cipher.decrypt(tokens[1])
    with pytest.raises(InvalidToken):
        cipher.respondent_hashes(tokens)


def test_a_page_refuses_links_of_another_key_bad_padding_and_garbage():
    """A link made under a key the service no longer has, a correctly signed token whose
    padding is wrong, and text that is no token at all: each refused, as Fernet refuses it."""
    import base64
    import hashlib
    import hmac
    import os

    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw = Fernet.generate_key()
    cipher = consent_service.LinkCipher(raw.decode())
    stranger = consent_service.LinkCipher(Fernet.generate_key().decode())
    key = base64.urlsafe_b64decode(raw)
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + bytes(8) + iv + encryptor.update(b"x" * 15 + b"\x05") + encryptor.finalize()
    badly_padded = base64.urlsafe_b64encode(
        body + hmac.digest(key[:16], body, hashlib.sha256)
    ).decode()
    for token in (stranger.encrypt(new_key()), badly_padded, "not a token", "", "gAAAAA"):
        with pytest.raises(InvalidToken):
            cipher.decrypt(token)
        with pytest.raises(InvalidToken):
            cipher.respondent_hashes([cipher.encrypt(new_key()), token])
