"""Consent forms. Which attributes may be shared is checked by the consent service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField
from wtforms.fields.choices import SelectChoice

from surveys.questions import QUESTIONS
from surveys.services.consent import METHOD_AFTER_SURVEY, METHOD_PRIVACY_PAGE

#: Where a consent form was shown -> the method its consent records.
CONTEXTS = {"after-survey": METHOD_AFTER_SURVEY, "account": METHOD_PRIVACY_PAGE}


class ConsentForm(FlaskForm):
    """The attributes to share; nothing is ticked unless the shopper ticked it."""

    attributes = SelectMultipleField(
        choices=[SelectChoice(key, question.short_label) for key, question in QUESTIONS.items()],
        validate_choice=False,
    )
    context = HiddenField()

    def method(self) -> str | None:
        return CONTEXTS.get(self.context.data or "")
