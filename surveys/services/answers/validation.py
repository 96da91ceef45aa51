"""Which answers a survey accepts: codes its questions offer, an LGA inside the chosen state."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext

from surveys import reference
from surveys.questions import QUESTIONS

#: The shape of every survey's slug (see :mod:`surveys.services.catalogue`).
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class InvalidAnswers(ValueError):
    """Some answers are not codes the question offers. ``errors`` maps question to message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def answer_errors(question_keys: list[str], answers: Mapping[str, str | None]) -> dict[str, str]:
    """Plain-language errors for answers that the questions do not offer (empty when valid),
    in the request's language."""
    errors: dict[str, str] = {}
    unknown = set(answers) - set(question_keys)
    for key in sorted(unknown):
        errors[key] = gettext("This survey does not ask this question.")
    for key in question_keys:
        code = answers.get(key)
        if code is None or code == reference.PREFER_NOT_TO_SAY:
            continue
        if key == "lga":
            state = answers.get("state")
            if state in reference.geography().states:
                if code not in reference.lga_choices(state):
                    name = reference.geography().states[state].name
                    errors[key] = gettext(
                        "Choose a local government area in %(state)s, or leave it blank.",
                        state=name,
                    )
            elif code in reference.geography().lgas:
                errors[key] = gettext("Choose your state first, then its local government area.")
            else:
                errors[key] = gettext("Choose a local government area from the list.")
        elif code not in QUESTIONS[key].choices():
            errors[key] = gettext(
                "Choose one of the listed answers for “%(question)s”.",
                question=QUESTIONS[key].short_label,
            )
    return errors
