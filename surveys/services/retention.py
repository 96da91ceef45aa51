"""Keeping data no longer than needed: used token ids, dead sessions, old entries of the
profile access log and webhook deliveries that were given up on.

Old anonymous answers and expired "Not now" marks are deleted by the nightly settle
(:mod:`surveys.services.answers.settle`), the only writer of the answers store's clear
tables; :func:`linked_respondent_hashes` tells it which answers an active consent links,
which are not anonymous and are kept while the consent lasts. Consent records are never
purged: they are the proof of what was agreed, and hold no answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import ConsentLink, ProfileRead, WebhookDelivery
from surveys.services import shop_tokens, shopper_sessions
from surveys.services.consent import LinkCipher


@dataclass(frozen=True, slots=True)
class Purged:
    used_tokens: int
    sessions: int
    profile_reads: int
    failed_deliveries: int


def linked_respondent_hashes(session: Session, cipher: LinkCipher) -> set[str]:
    """The respondent hashes that an active consent links (their answers are kept)."""
    return {
        cipher.respondent_hash_of(encrypted)
        for encrypted in session.scalars(select(ConsentLink.encrypted_key))
    }


def purge(
    session: Session,
    now: datetime,
    *,
    read_log_days: int,
    failed_delivery_days: int,
) -> Purged:
    """Delete what has outlived its use in the identity store; running it again deletes
    nothing more.

    ``read_log_days``: how long a shopper's "who read my profile" entries are kept (the API
    writes one per read, so the log must not grow for ever). ``failed_delivery_days``: how
    long a webhook delivery whose retries ran out stays for an operator to see.
    """
    reads = session.execute(
        delete(ProfileRead).where(ProfileRead.read_at < now - timedelta(days=read_log_days))
    ).rowcount  # type: ignore[attr-defined]
    failed = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.failed_at < now - timedelta(days=failed_delivery_days)
        )
    ).rowcount  # type: ignore[attr-defined]
    session.flush()
    return Purged(
        used_tokens=shop_tokens.purge_used(session, now),
        sessions=shopper_sessions.purge_expired(session, now),
        profile_reads=int(reads),
        failed_deliveries=int(failed),
    )
