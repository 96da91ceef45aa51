"""The journal: how a visit writes to the answers store without writing a clear row.

Each transaction that changes a browser's answers, its "Not now" marks or the funnel
counters appends ONE sealed entry per browser (see :mod:`surveys.services.answers.sealing`)
and touches nothing else in the answers store. The entry says what the visit did, not a
diff of rows: "these are now the answers to survey S", "no answers to S", "no answers at
all", "not now to S until D", "+1 shown for S". Applying entries in order to the clear rows
gives the current state; reads do that on the fly (:mod:`surveys.services.answers.reading`)
and the nightly settle does it for good (:mod:`surveys.services.answers.settle`).

The order of a browser's entries is a sequence number inside the sealed payload (one more
than the highest of its pending entries), never a time: the payload carries the day only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from surveys.models import ANSWER_COLUMNS, Survey
from surveys.models.answers import JournalEntry
from surveys.services.answers.sealing import Sealer, sealer_for

#: ``session.info`` key: this transaction's entries, in the order they were started.
DRAFTS = "surveys.journal_drafts"
PAYLOAD_VERSION = 1

Answers = dict[str, str | None]


def sealer() -> Sealer:
    """The app's sealer (``ANSWERS_SEALING_KEY``)."""
    return sealer_for(current_app.config["ANSWERS_SEALING_KEY"])


@dataclass(slots=True)
class Held:
    """One browser's answers to one survey, as far as is known: clear row plus entries."""

    survey_id: uuid.UUID
    slug: str
    #: Every question key (see :data:`ANSWER_COLUMNS`) -> code; None when not answered.
    answers: Answers
    submitted_on: date
    updated_on: date
    #: The settle's bookkeeping: the clear row this came from.
    row_id: uuid.UUID | None = None
    #: The number of the entry that last saved these answers (0: the clear row): orders a
    #: browser's answers of one day, which carry the day only.
    seq: int = 0


@dataclass(slots=True)
class BrowserState:
    """What one browser holds: answers by survey id, "Not now" marks, the last entry's number."""

    responses: dict[uuid.UUID, Held] = field(default_factory=dict)
    dismissals: dict[uuid.UUID, date] = field(default_factory=dict)
    seq: int = 0

    def copy(self) -> BrowserState:
        return BrowserState(
            {
                key: replace(held, answers=dict(held.answers))
                for key, held in self.responses.items()
            },
            dict(self.dismissals),
            self.seq,
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """An opened journal entry."""

    id: uuid.UUID
    day: date
    seq: int
    respondent_hash: str | None
    payload: dict[str, Any]

    @classmethod
    def from_payload(cls, entry_id: uuid.UUID, payload: dict[str, Any]) -> Entry:
        if payload.get("v") != PAYLOAD_VERSION:
            raise ValueError(f"unknown journal payload version {payload.get('v')!r}")
        return cls(entry_id, date.fromisoformat(payload["d"]), payload["s"], payload["h"], payload)

    def sort_key(self) -> tuple[int, date, str]:
        """A browser's entries in the order they were made: by number (each is one more than
        the highest pending when it was written); the day and id only break ties."""
        return (self.seq, self.day, self.id.hex)

    def funnel(self) -> Iterable[tuple[uuid.UUID, str, int]]:
        for survey_id, name, count in self.payload["f"]:
            yield uuid.UUID(survey_id), name, count


def empty_payload(respondent_hash: str | None, day: date, seq: int) -> dict[str, Any]:
    return {
        "v": PAYLOAD_VERSION,
        "d": day.isoformat(),
        "s": seq,
        "h": respondent_hash,
        # Responses: "ra" clears them all first; "r" maps a survey id to its new answers
        # (with the survey's slug) or to None for "no answers to this survey".
        "ra": False,
        "r": {},
        # "Not now" marks, the same way: "xa" clears them all; "x" maps survey id -> until.
        "xa": False,
        "x": {},
        # Funnel counts: [survey id, event, how many].
        "f": [],
    }


def apply(state: BrowserState, entry: Entry) -> None:
    """Change ``state`` as ``entry`` says (the one rule shared by reads and the settle)."""
    payload, day = entry.payload, entry.day
    if payload["ra"]:
        state.responses.clear()
    for key, change in payload["r"].items():
        survey_id = uuid.UUID(key)
        if change is None:
            state.responses.pop(survey_id, None)
            continue
        answers = {name: change["a"].get(name) for name in ANSWER_COLUMNS}
        held = state.responses.get(survey_id)
        if held is None:
            state.responses[survey_id] = Held(
                survey_id, change["slug"], answers, day, day, seq=entry.seq
            )
        else:
            held.answers, held.updated_on, held.slug = answers, day, change["slug"]
            held.seq = entry.seq
    if payload["xa"]:
        state.dismissals.clear()
    for key, until in payload["x"].items():
        state.dismissals[uuid.UUID(key)] = date.fromisoformat(until)
    state.seq = max(state.seq, entry.seq)


@dataclass(slots=True)
class Draft:
    """This transaction's entry for one browser and day: sealed afresh after every change,
    so that what is flushed is always the whole entry (a fixed size, rewritten in place)."""

    row: JournalEntry
    payload: dict[str, Any]
    #: The browser's state with this entry applied: what reads in this transaction see.
    state: BrowserState
    sealer: Sealer

    def _op(self, change: dict[str, Any]) -> None:
        apply(self.state, Entry(self.row.id, self.day, self.payload["s"], None, change))
        self.seal()

    def save(self, survey: Survey, answers: Answers) -> None:
        change = {"slug": survey.slug, "a": {k: v for k, v in answers.items() if v is not None}}
        self.payload["r"][survey.id.hex] = change
        self._op({**empty_payload(None, self.day, 0), "r": {survey.id.hex: change}})

    def delete(self, survey: Survey | None) -> None:
        if survey is None:
            self.payload["ra"], self.payload["r"] = True, {}
            self._op({**empty_payload(None, self.day, 0), "ra": True})
        else:
            self.payload["r"][survey.id.hex] = None
            self._op({**empty_payload(None, self.day, 0), "r": {survey.id.hex: None}})

    def dismiss(self, survey: Survey, until: date) -> None:
        self.payload["x"][survey.id.hex] = until.isoformat()
        self._op({**empty_payload(None, self.day, 0), "x": {survey.id.hex: until.isoformat()}})

    def clear_dismissals(self) -> None:
        self.payload["xa"], self.payload["x"] = True, {}
        self._op({**empty_payload(None, self.day, 0), "xa": True})

    def count(self, survey: Survey, event: str) -> None:
        counts = self.payload["f"]
        found = [item for item in counts if item[0] == survey.id.hex and item[1] == event]
        if found:
            found[0][2] += 1
        else:
            counts.append([survey.id.hex, event, 1])
        self.seal()

    @property
    def day(self) -> date:
        return date.fromisoformat(self.payload["d"])

    def seal(self) -> None:
        self.row.sealed = self.sealer.seal(self.payload, self.row.tag)


def _drafts(session: Session) -> list[Draft]:
    drafts: list[Draft] = session.info.setdefault(DRAFTS, [])
    return drafts


def latest_draft(session: Session, respondent_hash: str | None) -> Draft | None:
    """This transaction's newest entry for a browser (or for no browser), if any."""
    for draft in reversed(_drafts(session)):
        if draft.payload["h"] == respondent_hash:
            return draft
    return None


def new_draft(
    session: Session, respondent_hash: str | None, day: date, base: BrowserState
) -> Draft:
    """Start this transaction's next entry for a browser (or, with None, for no browser) on
    ``day``, on top of the browser's current state ``base``."""
    state = base.copy()
    if respondent_hash is not None:
        state.seq += 1
    seal = sealer()
    row = JournalEntry(id=uuid.uuid4(), tag=seal.tag(respondent_hash))
    draft = Draft(row, empty_payload(respondent_hash, day, state.seq), state, seal)
    draft.seal()
    session.add(row)
    _drafts(session).append(draft)
    return draft


def funnel_draft(session: Session, day: date) -> Draft:
    """Where a funnel count with no browser goes: into the newest entry this transaction
    made for a browser on that day if there is one (so a visit is one entry), else into an
    entry of its own."""
    for draft in reversed(_drafts(session)):
        if draft.day == day:
            return draft
    return new_draft(session, None, day, BrowserState())


def forget_drafts(session: Session) -> None:
    session.info.pop(DRAFTS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_drafts_when_done(session: Session, transaction: Any) -> None:
    """Committed or rolled back, this transaction's drafts are finished with."""
    if transaction.parent is None:
        forget_drafts(session)
