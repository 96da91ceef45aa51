"""The fixed set of tables a week's release holds, over fixed public lists of cells.

Which tables a survey's release has depends only on which questions the survey asks (public),
and each table's cells only on the public reference lists (all 37 states, all 774 LGAs, every
band, "Prefer not to say" and "Not answered"): never on the data. A cell nobody is in is
released too, with its noise, so that the presence of a cell says nothing.

Every table is a *partition* of the week's responses (each response is in exactly one cell,
except that the LGA table leaves out responses with no state), so adding or removing one
response changes each table's vector by one in one cell: L2 sensitivity 1 per table.

Geography is kept at three levels for the totals (all of Nigeria, the six zones, the states)
and at two for the answers (all of Nigeria and the states; a zone is the sum of its states).
The national tables exist because product managers read national numbers most, and a sum of
39 state cells carries sqrt(39) = 6.2 times the noise of one national cell.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from surveys import reference
from surveys.i18n import in_english
from surveys.models.answers import SKIPPED

PREFER_NOT = reference.PREFER_NOT_TO_SAY
NOT_ANSWERED_LABEL = "Not answered"
ATTRIBUTES = ("age_band", "income_band", "gender")
PAIRS = (("age_band", "income_band"), ("age_band", "gender"), ("income_band", "gender"))
NATIONAL, STATE = "national", "state"

#: Relative share of the budget each kind of table gets (normalised over the tables a survey
#: releases). Weekly totals, the map and the LGAs are what people read most and are single
#: cells; the national distributions are next; the state cross-tabs are rarely read alone.
WEIGHTS = {
    "total": 3.0,
    "zone": 1.5,
    "state": 3.0,
    "lga": 2.0,
    "single@national": 1.0,
    "single@state": 1.5,
    "pair@national": 0.5,
    "pair@state": 0.5,
}


def _with_missing(codes: Mapping[str, object]) -> dict[str, str]:
    """The labels in English (the dashboard's language), fixed once: the result is cached."""
    labelled = {**codes, PREFER_NOT: reference.PREFER_NOT_TO_SAY_LABEL, SKIPPED: NOT_ANSWERED_LABEL}
    return {code: in_english(label) for code, label in labelled.items()}


@cache
def categories(attribute: str) -> dict[str, str]:
    """The categories of ``attribute``, code -> label: always all of them, in a fixed order."""
    if attribute == "state":
        return _with_missing(reference.state_choices())
    if attribute == "zone":
        return _with_missing({zone: zone for zone in reference.geography().zones})
    if attribute == "age_band":
        return _with_missing(
            {k: v for k, v in reference.AGE_BANDS.items() if k != reference.UNDER_18}
        )
    if attribute == "income_band":
        return _with_missing(reference.INCOME_BANDS)
    if attribute == "gender":
        return _with_missing(reference.GENDERS)
    raise KeyError(attribute)


@cache
def lga_categories(state: str) -> dict[str, str]:
    """The LGA cells of one state: its LGAs, then "Prefer not to say" and "Not answered"."""
    return _with_missing(reference.lga_choices(state))


def zone_of(state: str) -> str:
    """A state's zone; "prefer_not_to_say" and "skipped" stay what they are."""
    found = reference.geography().states.get(state)
    return found.zone if found else state


#: A response as the tables see it: question key -> code, "skipped" for no answer.
Row = Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Layout:
    """One table: its name, its cells (tuples of codes) in a fixed order, and how a response
    finds its cell. Made once per process and compared by identity."""

    name: str
    kind: str
    axes: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    #: Response -> its cell (None: the response is not in this table).
    locate: Callable[[Row], tuple[str, ...] | None] = field(repr=False)

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]

    @property
    def size(self) -> int:
        return len(self.cells)

    @property
    def index(self) -> dict[tuple[str, ...], int]:
        return _index(self)

    @property
    def fingerprint(self) -> str:
        """16 hex digits of SHA-256 over the cell list: stored with each released vector."""
        return _fingerprint(self)


@cache
def _index(layout: Layout) -> dict[tuple[str, ...], int]:
    return {cell: n for n, cell in enumerate(layout.cells)}


@cache
def _fingerprint(layout: Layout) -> str:
    text = "\n".join("|".join(cell) for cell in layout.cells)
    return hashlib.sha256(f"{layout.name}\n{text}".encode()).hexdigest()[:16]


def _product(axes: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(itertools.product(*(list(categories(axis)) for axis in axes)))


def _getter(*axes: str) -> Callable[[Row], tuple[str, ...]]:
    def locate(row: Row) -> tuple[str, ...]:
        return tuple(zone_of(row["state"]) if a == "zone" else row[a] for a in axes)

    return locate


def _lga_cell(row: Row) -> tuple[str, ...] | None:
    state = row["state"]
    if state not in reference.geography().states:
        return None
    lga = row["lga"]
    return (state, lga if lga in lga_categories(state) else SKIPPED)


@cache
def _lga_cells() -> tuple[tuple[str, ...], ...]:
    return tuple(
        (state, lga) for state in reference.state_choices() for lga in lga_categories(state)
    )


def pair_name(first: str, second: str) -> str:
    return f"{first}+{second}"


@cache
def _layouts_for(questions: frozenset[str]) -> tuple[Layout, ...]:
    geo = "state" in questions
    layouts = [Layout("total", "total", (), ((),), lambda row: ())]
    if geo:
        layouts.append(Layout("zone", "zone", ("zone",), _product(("zone",)), _getter("zone")))
        layouts.append(Layout("state", "state", ("state",), _product(("state",)), _getter("state")))
        if "lga" in questions:
            layouts.append(Layout("lga", "lga", ("state", "lga"), _lga_cells(), _lga_cell))
    asked = [a for a in ATTRIBUTES if a in questions]
    for a in asked:
        layouts.append(Layout(f"{a}@national", "single@national", (a,), _product((a,)), _getter(a)))
        if geo:
            axes = ("state", a)
            layouts.append(
                Layout(f"{a}@state", "single@state", axes, _product(axes), _getter(*axes))
            )
    for a, b in PAIRS:
        if a in asked and b in asked:
            name = pair_name(a, b)
            layouts.append(
                Layout(f"{name}@national", "pair@national", (a, b), _product((a, b)), _getter(a, b))
            )
            if geo:
                axes = ("state", a, b)
                layouts.append(
                    Layout(f"{name}@state", "pair@state", axes, _product(axes), _getter(*axes))
                )
    return tuple(layouts)


def layouts_for(questions: list[str] | tuple[str, ...]) -> tuple[Layout, ...]:
    """The tables a survey asking ``questions`` releases each week (fixed by the questions)."""
    return _layouts_for(frozenset(questions))


def row_of(response: Any) -> dict[str, str]:
    """A response (ORM object, row or dict) as codes, with "skipped" for no answer."""
    get = response.get if isinstance(response, dict) else lambda name: getattr(response, name)
    return {
        "state": get("state_code") or SKIPPED,
        "lga": get("lga_code") or SKIPPED,
        "age_band": get("age_band") or SKIPPED,
        "income_band": get("income_band") or SKIPPED,
        "gender": get("gender") or SKIPPED,
    }


# --- counters without a location: the funnel, and consent choices ---------------------------

#: The funnel's event counters (an event-level release; "completed" is the weekly total).
FUNNEL_EVENTS = ("shown", "started", "not_now")
FUNNEL = Layout(
    "funnel", "funnel", ("event",), tuple((e,) for e in FUNNEL_EVENTS), lambda row: None
)

GIVEN, WITHDRAWN, ALLOWED, NOT_ALLOWED = "given", "withdrawn", "allowed", "not_allowed"
#: Consent choices of one week: each subject's newest record that week, in each table once.
CONSENT_STATUS = Layout(
    "consent:status",
    "consent",
    ("status",),
    ((GIVEN,), (WITHDRAWN,)),
    lambda row: (row["status"],),
)


def _consent_layout(key: str) -> Layout:
    """Of this week's choices, those that allow ``key`` and those that do not (or withdraw)."""
    cells = ((ALLOWED,), (NOT_ALLOWED,))
    return Layout(f"consent:{key}", "consent", (key,), cells, lambda row: (row[key],))


@cache
def consent_layouts() -> tuple[Layout, ...]:
    from surveys.questions import QUESTIONS

    return (CONSENT_STATUS, *(_consent_layout(key) for key in QUESTIONS))
