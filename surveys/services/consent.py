"""Consent to personalisation: giving, changing and withdrawing it, and what it lets out.

The rules:

* Consent is per attribute (question key). Each change appends a :class:`ConsentRecord`; the
  newest record is the current choice, and the whole history is the proof.
* While a consent is active, a :class:`ConsentLink` holds the browser's respondent key,
  encrypted. It is the only way from a subject to answers, and withdrawal deletes it at once.
* The answers store is never written to here, except to delete answers when a shopper
  withdraws and asks for that: it never learns who consented.
* Giving, changing and withdrawing consent each add an event to the profile API's change
  feed (:mod:`surveys.services.profile_changes`), so that clients learn of it at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import (
    ConsentLink,
    ConsentRecord,
)
from surveys.models.identity import GIVEN, WITHDRAWN
from surveys.questions import QUESTION_KEYS, QUESTIONS
from surveys.services import answers as answer_service
from surveys.services import profile_changes
from surveys.services.respondents import respondent_hash

PURPOSE = "personalisation"
#: Version of the consent text in ``templates/account/_notice.html`` (the English): change both
#: together, and every translation's version with it.
NOTICE_VERSION = "2026-11-v1"
#: Each language's text of the notice has a version of its own, so that a record names the
#: very text the shopper agreed to: when a reviewer corrects a translation, its version goes
#: up and older records keep the old one. ``tests/i18n/test_notice_versions.py`` holds each
#: version to a fingerprint of its text in the catalogues and fails when a text changes and
#: its version does not.
NOTICE_VERSIONS: dict[str, str] = {
    "en": NOTICE_VERSION,
    "pcm": f"{NOTICE_VERSION}+pcm.1",
    "ha": f"{NOTICE_VERSION}+ha.1",
    "yo": f"{NOTICE_VERSION}+yo.1",
    "ig": f"{NOTICE_VERSION}+ig.1",
}
#: The language of a notice when the caller does not say (the English text).
NOTICE_DEFAULT_LANGUAGE = "en"
METHOD_AFTER_SURVEY = "web-form-after-survey"
METHOD_PRIVACY_PAGE = "privacy-page"
METHODS = (METHOD_AFTER_SURVEY, METHOD_PRIVACY_PAGE)
#: Where each method's form is, in the shopper's words (receipts and "My survey data").
METHOD_DESCRIPTIONS = {
    METHOD_AFTER_SURVEY: "after a survey, on its thank-you page",
    METHOD_PRIVACY_PAGE: "on the “My survey data” page",
}
KEPT_ANONYMOUS = "kept_anonymous"
DELETED = "deleted"


class ConsentError(ValueError):
    """The request cannot be carried out; the message is plain language for the shopper."""


#: Decrypted links kept per process, so that a hot profile read costs no Fernet decryption.
LINK_CACHE_SIZE = 16384
_LOOKUP_CONTEXT = b"surveys/consent-link-lookup/v1"


class LinkCipher:
    """Encrypts respondent keys for :class:`ConsentLink` (Fernet; several keys to rotate).

    It also makes each link's ``respondent_lookup``: an HMAC of the respondent hash under a
    key derived from each Fernet key, so that a change to answers can find its subject, while
    a copy of both stores without the key still cannot join them.
    """

    def __init__(self, keys: str):
        parts = [part.strip() for part in keys.split(",")]
        self._fernet = MultiFernet([Fernet(part) for part in parts])
        self._lookup_keys = [
            hmac.new(base64.urlsafe_b64decode(part), _LOOKUP_CONTEXT, hashlib.sha256).digest()
            for part in parts
        ]
        # Keyed by the ciphertext, which a link keeps for its whole life and which no other
        # link shares (Fernet adds a random IV): a deleted link cannot be reached through it.
        self.respondent_hash_of = lru_cache(maxsize=LINK_CACHE_SIZE)(self.respondent_hash_uncached)

    def respondent_hash_uncached(self, token: str) -> str:
        """The respondent hash a link's ``encrypted_key`` leads to, decrypted every time (for
        a walk over every link, which would only push the hot ones out of the cache)."""
        return respondent_hash(self.decrypt(token))

    def respondent_hashes(self, tokens: Sequence[str]) -> list[str]:
        """The respondent hash of each link's ``encrypted_key``, in order, decrypted every
        time and kept nowhere: a page of the bulk sync. Fernet's own decryption, one token at
        a time (a hand-made batch of the AES was measured 5 ms a page faster and left out:
        the cipher is the library's to get right, not ours)."""
        return [self.respondent_hash_uncached(token) for token in tokens]

    def lookups(self, hashed: str) -> list[str]:
        """The lookup value of a respondent hash under each key (the first one is written)."""
        return [
            hmac.new(key, hashed.encode("ascii"), hashlib.sha256).hexdigest()
            for key in self._lookup_keys
        ]

    def encrypt(self, respondent_key: str) -> str:
        return self._fernet.encrypt(respondent_key.encode("ascii")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("ascii")


@lru_cache(maxsize=4)
def cipher_for(keys: str) -> LinkCipher:
    return LinkCipher(keys)


def check_attributes(attributes: Iterable[str]) -> list[str]:
    """The chosen question keys in question order; :class:`ConsentError` if they cannot be."""
    chosen = set(attributes)
    unknown = chosen - set(QUESTION_KEYS)
    if unknown:
        raise ConsentError(gettext("Choose only from the answers listed."))
    if not chosen:
        raise ConsentError(gettext("Tick at least one answer to share, or choose “No thanks”."))
    if "lga" in chosen and "state" not in chosen:
        # An LGA code names its state, so sharing it alone would share the state unasked.
        raise ConsentError(
            gettext(
                "Your local government area shows which state you live in, so tick "
                "“%(state)s” as well to share it.",
                state=QUESTIONS["state"].short_label,
            )
        )
    return [key for key in QUESTION_KEYS if key in chosen]


def answered_attributes(responses: Iterable[Any]) -> list[str]:
    """The question keys these responses really answer, in question order.

    Skipped questions and "Prefer not to say" are left out: there is nothing in them to
    share, so the offer after a survey does not ask about them.
    """
    answered = {
        key
        for response in responses
        for key, code in response.answers().items()
        if key in response.survey.questions
        and code is not None
        and code != reference.PREFER_NOT_TO_SAY
    }
    return [key for key in QUESTION_KEYS if key in answered]


def check_offered(attributes: Iterable[str], offered: Iterable[str]) -> list[str]:
    """:func:`check_attributes`, and every chosen key must be one the shopper was offered."""
    chosen = check_attributes(attributes)
    if set(chosen) - set(offered):
        raise ConsentError(gettext("Choose only from the answers listed."))
    return chosen


def latest_record(session: Session, subject: str) -> ConsentRecord | None:
    return session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.subject == subject)
        .order_by(ConsentRecord.given_at.desc())
        .limit(1)
    ).one_or_none()


def current(session: Session, subject: str) -> ConsentRecord | None:
    """The active consent, or None if never given or withdrawn since."""
    record = latest_record(session, subject)
    return record if record is not None and record.status == GIVEN else None


def history(session: Session, subject: str) -> list[ConsentRecord]:
    """Every consent record of ``subject``, newest first."""
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.subject == subject)
            .order_by(ConsentRecord.given_at.desc())
        )
    )


def find_record(session: Session, subject: str, receipt_id: uuid.UUID) -> ConsentRecord | None:
    """One of ``subject``'s own records; someone else's looks the same as none."""
    return session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.subject == subject, ConsentRecord.receipt_id == receipt_id
        )
    ).one_or_none()


def _append(
    session: Session,
    subject: str,
    attributes: list[str],
    method: str,
    status: str,
    now: datetime,
    answers_after: str | None = None,
    language: str = NOTICE_DEFAULT_LANGUAGE,
) -> ConsentRecord:
    if method not in METHODS:
        raise ValueError(f"unknown consent method {method!r}")
    previous = latest_record(session, subject)
    if previous is not None and now <= previous.given_at:
        # The newest record must sort last even if two arrive within the clock's resolution.
        now = previous.given_at + timedelta(microseconds=1)
    record = ConsentRecord(
        subject=subject,
        purpose=PURPOSE,
        attributes=attributes,
        notice_version=NOTICE_VERSIONS[language],
        notice_language=language,
        given_at=now,
        method=method,
        status=status,
        answers_after=answers_after,
    )
    session.add(record)
    session.flush()
    return record


def _link(session: Session, subject: str) -> ConsentLink | None:
    return session.scalars(select(ConsentLink).where(ConsentLink.subject == subject)).one_or_none()


def give(
    session: Session,
    subject: str,
    attributes: Iterable[str],
    method: str,
    respondent_key: str,
    cipher: LinkCipher,
    now: datetime,
    language: str = NOTICE_DEFAULT_LANGUAGE,
) -> ConsentRecord:
    """Record consent to share ``attributes`` and link this browser's answers to ``subject``.

    If a consent is already active this is a change, and the existing link is kept.
    ``language`` is the language of the notice the shopper was shown.
    """
    chosen = check_attributes(attributes)
    record = _append(session, subject, chosen, method, GIVEN, now, language=language)
    if _link(session, subject) is None:
        try:
            with session.begin_nested():
                session.add(
                    ConsentLink(
                        subject=subject,
                        encrypted_key=cipher.encrypt(respondent_key),
                        created_at=now,
                        respondent_lookup=cipher.lookups(respondent_hash(respondent_key))[0],
                    )
                )
        except IntegrityError:
            pass  # the same shopper said yes twice at once; the first link stands
    session.flush()
    _announce(session, subject, now, cipher)
    return record


def change(
    session: Session,
    subject: str,
    attributes: Iterable[str],
    method: str,
    now: datetime,
    language: str = NOTICE_DEFAULT_LANGUAGE,
) -> ConsentRecord:
    """Change which attributes an active consent covers (a new record; the link is kept)."""
    chosen = check_attributes(attributes)
    if current(session, subject) is None or _link(session, subject) is None:
        raise ConsentError(
            gettext("You have not agreed to personalisation, so there is nothing to change.")
        )
    record = _append(session, subject, chosen, method, GIVEN, now, language=language)
    _announce(session, subject, now)
    return record


def withdraw(
    session: Session,
    subject: str,
    delete_answers: bool,
    method: str,
    cipher: LinkCipher,
    now: datetime,
    language: str = NOTICE_DEFAULT_LANGUAGE,
) -> ConsentRecord | None:
    """Withdraw consent: the link is deleted at once; answers are kept anonymous or deleted.

    Returns the withdrawal record, or None if no consent was active (e.g. a second click).
    """
    active = current(session, subject)
    link = _link(session, subject)
    if link is not None:
        if delete_answers:
            answer_service.delete_answers(
                session, cipher.respondent_hash_of(link.encrypted_key), today=now.date()
            )
        session.delete(link)
        session.flush()
    if active is None:
        if link is not None:
            _announce(session, subject, now, withdrawn=True)
        return None
    record = _append(
        session,
        subject,
        list(active.attributes),
        method,
        WITHDRAWN,
        now,
        answers_after=DELETED if delete_answers else KEPT_ANONYMOUS,
        language=language,
    )
    _announce(session, subject, now, withdrawn=True)
    return record


def _announce(
    session: Session,
    subject: str,
    now: datetime,
    cipher: LinkCipher | None = None,
    *,
    withdrawn: bool = False,
) -> None:
    """The change-feed event for what a client can now read of ``subject`` (see
    :func:`surveys.services.profile_changes.announce`): none for a consent with nothing to
    share, which must look like no consent at all."""
    from surveys.services import profiles  # it builds on this module

    if withdrawn:
        shares = False
    else:
        if cipher is None:
            from flask import current_app

            cipher = cipher_for(current_app.config["LINK_ENCRYPTION_KEY"])
        shares = profiles.shares_anything(session, subject, cipher)
    profile_changes.announce(session, subject, shares, now)


def linked_respondent_hash(session: Session, subject: str, cipher: LinkCipher) -> str | None:
    """The answers-store hash this subject's consent reaches, or None without active consent."""
    if current(session, subject) is None:
        return None
    link = _link(session, subject)
    if link is None:
        return None
    return cipher.respondent_hash_of(link.encrypted_key)


@dataclass(frozen=True, slots=True)
class Controller:
    """Who the receipts name as responsible for the data."""

    name: str
    contact: str
    policy_url: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any], policy_url: str) -> Controller:
        return cls(config["CONSENT_CONTROLLER"], config["CONSENT_CONTROLLER_CONTACT"], policy_url)


RECEIPT_VERSION = "KI-CR-v1.1.0"


def receipt(record: ConsentRecord, controller: Controller) -> dict[str, Any]:
    """A consent receipt for one record.

    Field names follow the Kantara Initiative Consent Receipt v1.1 (also the basis of
    ISO/IEC TS 27560's consent record); ``consentStatus``, ``noticeVersion`` and
    ``answersAfterWithdrawal`` add what 27560 records about the state of a consent.
    """
    categories = [str(QUESTIONS[key].short_label) for key in record.attributes]
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": "NG",
        "consentTimestamp": int(record.given_at.timestamp()),
        "consentTimestampISO": record.given_at.isoformat(),
        "collectionMethod": record.method,
        "collectionMethodDescription": METHOD_DESCRIPTIONS.get(record.method, record.method),
        "consentReceiptID": str(record.receipt_id),
        # The language of the notice this record was made on (Kantara's ``language``).
        "language": record.notice_language,
        "piiPrincipalId": record.subject,
        "piiControllers": [
            {
                "piiController": controller.name,
                "contact": controller.contact,
                "piiControllerUrl": controller.policy_url,
            }
        ],
        "policyUrl": controller.policy_url,
        "services": [
            {
                "service": "Shop surveys",
                "purposes": [
                    {
                        "purpose": PURPOSE,
                        "purposeDescription": "Use the answers named here to personalise "
                        "what the shop shows you.",
                        "purposeCategory": ["Personalisation"],
                        "consentType": "EXPLICIT",
                        "piiCategory": categories,
                        "piiCategoryKeys": list(record.attributes),
                        "primaryPurpose": False,
                        "termination": "Withdraw at any time on the “My survey data” page; "
                        "the link to your answers is destroyed at once.",
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "consentStatus": record.status,
        "noticeVersion": record.notice_version,
        "answersAfterWithdrawal": record.answers_after,
    }
