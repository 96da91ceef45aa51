"""The personalisation offer on the thank-you page, for signed-in shoppers only."""

from __future__ import annotations

from typing import Any

from flask import current_app

from surveys import clock
from surveys.account.forms import ConsentForm
from surveys.auth.session import current_session
from surveys.extensions import db
from surveys.questions import QUESTIONS
from surveys.services import consent as consent_service


def after_survey() -> dict[str, Any]:
    """Template values for the thank-you page: the offer, the active consent, or nothing."""
    signed_in = current_session()
    if signed_in is None:
        return {}
    active = consent_service.current(db.session, signed_in.subject)
    if active is not None:
        return {"active_consent": active, "questions": QUESTIONS}
    if signed_in.declined_offer:
        return {}
    return {
        "consent_form": ConsentForm(),
        "consent_context": "after-survey",
        "questions": QUESTIONS,
    }


def withdraw_for_a_child() -> None:
    """A signed-in shopper said they are under 18: a child's consent does not count.

    Any consent is withdrawn and its linked answers deleted, as the answers from this browser
    just were. Nothing is logged that says why.
    """
    signed_in = current_session()
    if signed_in is None:
        return
    consent_service.withdraw(
        db.session,
        signed_in.subject,
        delete_answers=True,
        method=consent_service.METHOD_AFTER_SURVEY,
        cipher=consent_service.cipher_for(current_app.config["LINK_ENCRYPTION_KEY"]),
        now=clock.now(),
    )
