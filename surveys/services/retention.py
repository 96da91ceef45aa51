"""Keeping data no longer than needed: used token ids, dead sessions, old entries of the
profile access log and webhook deliveries that were given up on.

Old anonymous answers and expired "Not now" marks are deleted by the nightly settle
(:mod:`surveys.services.answers.settle`), the only writer of the answers store's clear
tables; :func:`linked_respondent_hashes` tells it which answers an active consent links,
which are not anonymous and are kept while the consent lasts. Consent records are never
purged: they are the proof of what was agreed, and hold no answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import ConsentLink, ProfileRead, WebhookDelivery
from surveys.services import shop_tokens, shopper_sessions
from surveys.services.consent import LinkCipher


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each kind of data is kept: read once from the configuration by the jobs
    that delete it (``flask answers settle``, ``flask retention purge``) and by the privacy
    notice that tells shoppers, so that the two cannot disagree."""

    #: Anonymous answers not changed for longer are deleted at the nightly settle.
    answer_days: int
    #: Deleted answers are gone from every backup within this many days.
    backup_days: int
    #: "Who read my profile" entries older than this are deleted.
    profile_read_days: int
    #: Webhook deliveries given up on longer ago than this are deleted.
    failed_webhook_days: int
    #: "Not now" keeps a survey away from the browser this long, then is deleted.
    not_now_days: int
    #: The respondent cookie's lifetime in the browser.
    cookie_days: int
    #: A signed-in session ends this long after the shop hands the shopper over.
    session_hours: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Periods:
        return cls(
            answer_days=config["ANSWER_RETENTION_DAYS"],
            backup_days=config["BACKUP_RETENTION_DAYS"],
            profile_read_days=config["PROFILE_READ_RETENTION_DAYS"],
            failed_webhook_days=config["FAILED_WEBHOOK_RETENTION_DAYS"],
            not_now_days=config["NOT_NOW_DAYS"],
            cookie_days=config["RESPONDENT_COOKIE_DAYS"],
            session_hours=config["SHOPPER_SESSION_HOURS"],
        )


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
