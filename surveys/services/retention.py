"""Keeping data no longer than needed: old anonymous answers, used token ids, dead sessions,
old entries of the profile access log and webhook deliveries that were given up on.

Answers that an active consent links are not anonymous and are kept while the consent lasts.
Consent records are never purged: they are the proof of what was agreed, and hold no answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import ConsentLink, Dismissal, ProfileRead, Response, WebhookDelivery
from surveys.services import shop_tokens, shopper_sessions
from surveys.services.answers import delete_responses_where
from surveys.services.consent import LinkCipher
from surveys.services.respondents import respondent_hash


@dataclass(frozen=True, slots=True)
class Purged:
    answers: int
    dismissals: int
    used_tokens: int
    sessions: int
    profile_reads: int
    failed_deliveries: int


def purge(
    session: Session,
    today: date,
    now: datetime,
    retention_days: int,
    cipher: LinkCipher,
    *,
    read_log_days: int,
    failed_delivery_days: int,
) -> Purged:
    """Delete what has outlived its use; running it again deletes nothing more.

    ``read_log_days``: how long a shopper's "who read my profile" entries are kept (the API
    writes one per read, so the log must not grow for ever). ``failed_delivery_days``: how
    long a webhook delivery whose retries ran out stays for an operator to see.
    """
    cutoff = today - timedelta(days=retention_days)
    linked = [
        respondent_hash(cipher.decrypt(encrypted))
        for encrypted in session.scalars(select(ConsentLink.encrypted_key))
    ]
    # Through the answers service (released dashboard weeks are noisy counts, not answers).
    answers = delete_responses_where(
        session, (Response.updated_on < cutoff) & Response.respondent_hash.not_in(linked)
    )
    # "Not now" has no effect once its day has come.
    dismissals = session.execute(delete(Dismissal).where(Dismissal.until <= today)).rowcount  # type: ignore[attr-defined]
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
        answers=int(answers),
        dismissals=int(dismissals),
        used_tokens=shop_tokens.purge_used(session, now),
        sessions=shopper_sessions.purge_expired(session, now),
        profile_reads=int(reads),
        failed_deliveries=int(failed),
    )
