"""The five questions a survey can ask, in one place.

Each question is an attribute of a response with a fixed list of codes; every question also
offers "Prefer not to say", and skipping a question stores nothing for it.

The words are lazy translations: a shopper's page shows them in the page's language, while
the dashboard and the API (always English) read the same objects. Where a label leaves for
JSON or a chart, ``str()`` fixes it in the request's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from surveys import reference

#: Plain text, or a lazy translation that becomes text in the request's language.
Text = str | LazyString


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    #: The question as the shopper reads it (the fieldset's legend).
    text: Text
    #: A short name for lists, exports and consent screens.
    short_label: Text
    hint: Text
    choices: Callable[[], dict[str, str]]
    #: Long lists are drop-downs; short ones are radio buttons.
    widget: str = "radio"


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question(
            key="state",
            text=_l("Which state do you live in?"),
            short_label=_l("State"),
            hint=_l("The 36 states and the Federal Capital Territory."),
            choices=reference.state_choices,
            widget="select",
        ),
        Question(
            key="lga",
            text=_l("Which local government area (LGA)?"),
            short_label=_l("Local government area"),
            hint=_l("Only the LGAs of the state you chose."),
            choices=lambda: {code: lga.name for code, lga in reference.geography().lgas.items()},
            widget="select",
        ),
        Question(
            key="age_band",
            text=_l("How old are you?"),
            short_label=_l("Age band"),
            hint="",
            choices=lambda: reference.AGE_BANDS,
        ),
        Question(
            key="income_band",
            text=_l("What is your monthly income, in naira?"),
            short_label=_l("Monthly income band"),
            hint=_l("Take-home pay from all work, before rent and bills."),
            choices=lambda: reference.INCOME_BANDS,
        ),
        Question(
            key="gender",
            text=_l("What is your gender?"),
            short_label=_l("Gender"),
            hint="",
            choices=lambda: reference.GENDERS,
        ),
    )
}

QUESTION_KEYS: tuple[str, ...] = tuple(QUESTIONS)


def label_for(question_key: str, code: str | None) -> str | None:
    """The display label of a stored code in the request's language (None when skipped)."""
    if code is None:
        return None
    if code == reference.PREFER_NOT_TO_SAY:
        return str(reference.PREFER_NOT_TO_SAY_LABEL)
    return str(QUESTIONS[question_key].choices().get(code, code))
