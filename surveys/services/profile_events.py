"""Turning changes to answers into change-feed events, for the subjects whose consent covers them.

The answers service only notes, in the session, which respondents' answers changed and on
which questions (it knows nobody). Just before the transaction commits, this module finds the
consent links of those respondents through their keyed lookup value and appends an
``updated`` event for each subject whose active consent covers a changed question, so the
event commits with the change or not at all. Consent itself (given, changed, withdrawn)
records its events in :mod:`surveys.services.consent`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from surveys import clock
from surveys.models import ConsentLink
from surveys.services import consent as consent_service
from surveys.services import profile_changes
from surveys.services.answers import CHANGED_ANSWERS
from surveys.services.consent import LinkCipher


def publish_answer_changes(
    session: Session, changed: dict[str, set[str]], cipher: LinkCipher, now: datetime
) -> list[str]:
    """Announce each consenting subject a change reaches whose consent covers a changed
    question (``updated``, or ``withdrawn`` if nothing is left to share); returns those for
    whom an event was recorded."""
    from surveys.services import profiles  # it builds on the consent service

    by_lookup = {lookup: hashed for hashed in changed for lookup in cipher.lookups(hashed)}
    links = session.execute(
        select(ConsentLink.subject, ConsentLink.respondent_lookup)
        .where(ConsentLink.respondent_lookup.in_(by_lookup))
        .order_by(ConsentLink.subject)
    ).all()
    published = []
    for subject, lookup in links:
        consent = consent_service.current(session, subject)
        if consent is not None and set(consent.attributes) & changed[by_lookup[lookup]]:
            shares = profiles.shares_anything(session, subject, cipher)
            if profile_changes.announce(session, subject, shares, now) is not None:
                published.append(subject)
    return published


@event.listens_for(Session, "before_commit")
def _publish_before_commit(session: Session) -> None:
    if session.in_nested_transaction() or CHANGED_ANSWERS not in session.info:
        return
    changed = session.info.pop(CHANGED_ANSWERS)
    cipher = consent_service.cipher_for(current_app.config["LINK_ENCRYPTION_KEY"])
    publish_answer_changes(session, changed, cipher, clock.now())


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction: Any) -> None:
    """A rolled-back change changed nothing: drop its notes with it."""
    if transaction.parent is None:
        session.info.pop(CHANGED_ANSWERS, None)
