"""The personalisation offer on the thank-you page, for signed-in shoppers only."""

from __future__ import annotations

from typing import Any

from flask import current_app

from surveys import clock
from surveys.account.forms import ConsentForm
from surveys.auth.session import current_session
from surveys.extensions import db
from surveys.i18n import current_language
from surveys.questions import QUESTIONS
from surveys.services import answers as answer_service
from surveys.services import consent as consent_service
from surveys.shopper.respondent import current_hash_or_none


def answered_here() -> list[str]:
    """What this browser has really answered (skipped questions left out): all it can share."""
    browser_hash = current_hash_or_none()
    if browser_hash is None:
        return []
    return consent_service.answered_attributes(
        answer_service.responses_of(db.session, browser_hash)
    )


def after_survey(form: ConsentForm | None = None, error: str | None = None) -> dict[str, Any]:
    """Template values for the thank-you page: the offer, the active consent, or nothing.

    ``form`` and ``error`` re-show an offer the shopper sent that could not be accepted, on
    the same page, with what they ticked.
    """
    signed_in = current_session()
    if signed_in is None:
        return {}
    active = consent_service.current(db.session, signed_in.subject)
    if active is not None:
        return {"active_consent": active, "questions": QUESTIONS}
    if signed_in.declined_offer:
        return {}
    offered = answered_here()
    if not offered:
        return {}
    return {
        "consent_form": form or ConsentForm(formdata=None),
        "consent_error": error,
        "questions": {key: QUESTIONS[key] for key in offered},
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
        language=current_language(),
    )
