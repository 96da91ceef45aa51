"""Keeping data no longer than needed: old anonymous answers, used token ids, dead sessions.

Answers that an active consent links are not anonymous and are kept while the consent lasts.
Consent records are never purged: they are the proof of what was agreed, and hold no answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import ConsentLink, Dismissal, Response
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


def purge(
    session: Session,
    today: date,
    now: datetime,
    retention_days: int,
    cipher: LinkCipher,
) -> Purged:
    """Delete what has outlived its use; running it again deletes nothing more."""
    cutoff = today - timedelta(days=retention_days)
    linked = [
        respondent_hash(cipher.decrypt(encrypted))
        for encrypted in session.scalars(select(ConsentLink.encrypted_key))
    ]
    # Through the answers service, so the dashboard's rollups lose them too.
    answers = delete_responses_where(
        session, (Response.updated_on < cutoff) & Response.respondent_hash.not_in(linked)
    )
    # "Not now" has no effect once its day has come.
    dismissals = session.execute(delete(Dismissal).where(Dismissal.until <= today)).rowcount  # type: ignore[attr-defined]
    session.flush()
    return Purged(
        answers=int(answers),
        dismissals=int(dismissals),
        used_tokens=shop_tokens.purge_used(session, now),
        sessions=shopper_sessions.purge_expired(session, now),
    )
