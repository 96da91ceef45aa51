"""The answers store's rules: what may be answered, how a visit writes, how reads see it, and
the nightly settle that alone writes clear rows.

A visit never writes a clear row: it appends one sealed journal entry (:mod:`.journal`,
:mod:`.sealing`) through :mod:`.writing`; every reader sees clear rows overlaid with the
browser's pending entries (:mod:`.reading`); :mod:`.settle` applies a day's entries in one
transaction, in a random order, and :mod:`.scrub` clears what it deleted from the files.
"""

from surveys.services.answers.journal import Answers
from surveys.services.answers.reading import (
    CurrentResponse,
    browser_state,
    dismissed,
    find_response,
    latest_answers,
    next_survey,
    offered_surveys,
    open_survey,
    responses_of,
    states_of,
)
from surveys.services.answers.validation import SLUG, InvalidAnswers, answer_errors
from surveys.services.answers.writing import (
    CHANGED_ANSWERS,
    Outcome,
    SaveResult,
    clear_dismissals,
    delete_answers,
    dismiss,
    note_changed,
    save_answers,
)

__all__ = [
    "CHANGED_ANSWERS",
    "SLUG",
    "Answers",
    "CurrentResponse",
    "InvalidAnswers",
    "Outcome",
    "SaveResult",
    "answer_errors",
    "browser_state",
    "clear_dismissals",
    "delete_answers",
    "dismiss",
    "dismissed",
    "find_response",
    "latest_answers",
    "next_survey",
    "note_changed",
    "offered_surveys",
    "open_survey",
    "responses_of",
    "save_answers",
    "states_of",
]
