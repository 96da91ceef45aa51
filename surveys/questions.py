"""The five questions a survey can ask, in one place.

Each question is an attribute of a response with a fixed list of codes; every question also
offers "Prefer not to say", and skipping a question stores nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from surveys import reference


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    #: The question as the shopper reads it (the fieldset's legend).
    text: str
    #: A short name for lists, exports and consent screens.
    short_label: str
    hint: str
    choices: Callable[[], dict[str, str]]
    #: Long lists are drop-downs; short ones are radio buttons.
    widget: str = "radio"


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question(
            key="state",
            text="Which state do you live in?",
            short_label="State",
            hint="The 36 states and the Federal Capital Territory.",
            choices=reference.state_choices,
            widget="select",
        ),
        Question(
            key="lga",
            text="Which local government area (LGA)?",
            short_label="Local government area",
            hint="Only the LGAs of the state you chose.",
            choices=lambda: {code: lga.name for code, lga in reference.geography().lgas.items()},
            widget="select",
        ),
        Question(
            key="age_band",
            text="How old are you?",
            short_label="Age band",
            hint="",
            choices=lambda: reference.AGE_BANDS,
        ),
        Question(
            key="income_band",
            text="What is your monthly income, in naira?",
            short_label="Monthly income band",
            hint="Take-home pay from all work, before rent and bills.",
            choices=lambda: reference.INCOME_BANDS,
        ),
        Question(
            key="gender",
            text="What is your gender?",
            short_label="Gender",
            hint="",
            choices=lambda: reference.GENDERS,
        ),
    )
}

QUESTION_KEYS: tuple[str, ...] = tuple(QUESTIONS)


def label_for(question_key: str, code: str | None) -> str | None:
    """The display label of a stored code (None for a skipped question)."""
    if code is None:
        return None
    if code == reference.PREFER_NOT_TO_SAY:
        return reference.PREFER_NOT_TO_SAY_LABEL
    return QUESTIONS[question_key].choices().get(code, code)
