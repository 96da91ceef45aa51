"""How many signed-in respondents consented to personalisation, per attribute.

Counted in the identity store alone and never joined to the answers store: the dashboard
shows these shares side by side with the answers, but no query ever spans both.

The consent records themselves are built by the consent work (issue 3). Until they exist in
this branch, :func:`consent_counts` reports that the figures are not available.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ConsentCounts:
    """``signed_in``: respondents known to the identity store; ``consented``: per question
    key, how many of them currently allow that attribute to personalise the shop."""

    signed_in: int
    consented: dict[str, int]


def consent_counts(session: Session) -> ConsentCounts | None:
    """The current counts, or None while the identity store keeps no consent records."""
    return None
