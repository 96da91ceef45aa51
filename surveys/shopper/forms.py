"""The survey form, built from a survey's ordered questions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import Field

from surveys import reference
from surveys.questions import QUESTIONS
from surveys.services.answers import Answers, answer_errors

PREFER_NOT = SelectChoice(reference.PREFER_NOT_TO_SAY, reference.PREFER_NOT_TO_SAY_LABEL)
PLACEHOLDER = SelectChoice("", _l("Choose…"))


def _choices(codes: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in codes.items()]


class SurveyForm(FlaskForm):
    """Every question optional; choices are checked by :func:`answer_errors`, not by WTForms,
    so that the messages are the domain's plain-language ones."""

    question_keys: list[str]

    def fields_in_order(self) -> list[Field]:
        return [self[key] for key in self.question_keys]

    def answers(self) -> Answers:
        return {key: (self[key].data or None) for key in self.question_keys}

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        errors = answer_errors(self.question_keys, self.answers())
        for key, message in errors.items():
            self[key].errors = [message]
        return not errors

    def chosen_state(self) -> str | None:
        return self["state"].data if "state" in self.question_keys else None

    def set_lga_choices(self) -> None:
        """Offer only the LGAs of the chosen state (empty until a state is chosen)."""
        if "lga" in self.question_keys:
            lgas = reference.lga_choices(self.chosen_state())
            self["lga"].choices = [PLACEHOLDER, *_choices(lgas), PREFER_NOT]


def build_form(question_keys: list[str], **kwargs: Any) -> SurveyForm:
    attributes: dict[str, Any] = {}
    for key in question_keys:
        question = QUESTIONS[key]
        if question.widget == "select":
            choices = [PLACEHOLDER, *_choices(question.choices()), PREFER_NOT]
            field: Field = SelectField(question.text, choices=choices, validate_choice=False)
        else:
            choices = [*_choices(question.choices()), PREFER_NOT]
            field = RadioField(question.text, choices=choices, validate_choice=False)
        attributes[key] = field
    form_class = type("BoundSurveyForm", (SurveyForm,), attributes)
    form = form_class(**kwargs)
    form.question_keys = list(question_keys)
    form.set_lga_choices()
    return form


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token: "Not now", "Delete my answers"."""
