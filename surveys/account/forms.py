"""Consent forms. Which attributes may be shared is checked by the consent service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice

from surveys.questions import QUESTIONS


class ConsentForm(FlaskForm):
    """The attributes to share; nothing is ticked unless the shopper ticked it.

    Where it was shown (and so the method its consent records) is the address it is sent
    to, not a field the page could get wrong.
    """

    attributes = SelectMultipleField(
        choices=[SelectChoice(key, question.short_label) for key, question in QUESTIONS.items()],
        validate_choice=False,
    )
