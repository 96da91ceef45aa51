"""The personalisation offer on the thank-you page, for signed-in shoppers only."""

from __future__ import annotations

from typing import Any

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
