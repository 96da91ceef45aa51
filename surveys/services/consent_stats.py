"""How many signed-in respondents consented to personalisation, per attribute.

Counted in the identity store alone and never joined to the answers store: the dashboard
shows these shares side by side with the answers, but no query ever spans both.

Who counts as a signed-in respondent: every subject the identity store knows, that is anyone
with a consent record (given or withdrawn) or a live sign-in session. A subject consents to an
attribute when their newest consent record is "given" and lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models.identity import GIVEN, ConsentRecord, ShopperSession
from surveys.questions import QUESTIONS


@dataclass(frozen=True, slots=True)
class ConsentCounts:
    """``signed_in``: respondents known to the identity store; ``consented``: per question
    key, how many of them currently allow that attribute to personalise the shop."""

    signed_in: int
    consented: dict[str, int]


def consent_counts(session: Session) -> ConsentCounts | None:
    """The current counts (None only if the identity store cannot be read)."""
    subjects = set(session.scalars(select(ShopperSession.subject).distinct()))
    newest: dict[str, ConsentRecord] = {}
    for record in session.scalars(
        select(ConsentRecord).order_by(ConsentRecord.subject, ConsentRecord.given_at)
    ):
        newest[record.subject] = record
    subjects.update(newest)
    consented = dict.fromkeys(QUESTIONS, 0)
    for record in newest.values():
        if record.status == GIVEN:
            for key in record.attributes:
                if key in consented:
                    consented[key] += 1
    return ConsentCounts(signed_in=len(subjects), consented=consented)
