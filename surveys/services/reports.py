"""The dashboard's numbers for one filtered view, already protected.

Everything here reads the rollups (never the responses), builds cells from fixed public
category lists (never from the data), and publishes them through
:mod:`surveys.services.disclosure`. Charts and CSV exports are both drawn from the
:class:`Report` this module returns, so an export always equals its chart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys import reference
from surveys.models import FunnelCount, RollupCell, Survey
from surveys.models.answers import SKIPPED
from surveys.questions import QUESTIONS
from surveys.services import funnel, rollups
from surveys.services.consent_stats import ConsentCounts
from surveys.services.disclosure import (
    EMPTY,
    Cell,
    CounterProtector,
    Hidden,
    Protector,
    Shown,
    total,
)

PREFER_NOT = reference.PREFER_NOT_TO_SAY
NOT_ANSWERED_LABEL = "Not answered"
#: A view may span at most this many weeks (two years).
MAX_WEEKS = 104
#: The default view: the last this-many complete weeks.
DEFAULT_WEEKS = 12


class InvalidView(ValueError):
    """A filter that names no survey, week, zone, state or attribute we know."""


# --- categories: fixed public lists ---------------------------------------------------------


def _with_missing(codes: Mapping[str, str]) -> dict[str, str]:
    return {**codes, PREFER_NOT: reference.PREFER_NOT_TO_SAY_LABEL, SKIPPED: NOT_ANSWERED_LABEL}


def categories(attribute: str) -> dict[str, str]:
    """The categories a chart of ``attribute`` shows: always all of them, in a fixed order."""
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
    raise InvalidView(f"unknown attribute {attribute!r}")


ATTRIBUTE_LABELS = {
    "zone": "Geopolitical zone",
    "state": "State",
    "age_band": "Age band",
    "income_band": "Monthly income band",
    "gender": "Gender",
}
GEO = {"zone", "state"}


def attributes_of(survey: Survey) -> list[str]:
    """The chartable attributes a survey asks about, in display order."""
    asked = set(survey.questions)
    result = ["zone", "state"] if "state" in asked else []
    return result + [a for a in ("age_band", "income_band", "gender") if a in asked]


# --- the view -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    survey: Survey
    first_week: date
    last_week: date
    zone: str | None = None
    state: str | None = None
    #: The state whose LGAs are charted.
    lga_state: str = "NG-LA"
    cross: tuple[str, str] = ("age_band", "income_band")

    @property
    def weeks(self) -> list[date]:
        count = (self.last_week - self.first_week).days // 7 + 1
        return [self.first_week + timedelta(weeks=i) for i in range(count)]

    def states_in_view(self) -> list[str]:
        geography = reference.geography()
        if self.state:
            return [self.state]
        if self.zone:
            return [c for c, s in geography.states.items() if s.zone == self.zone]
        return list(geography.states)

    def describe(self) -> str:
        where = (
            reference.geography().states[self.state].name
            if self.state
            else (self.zone or "all of Nigeria")
        )
        weeks = f"weeks of {self.first_week:%d %b %Y} to {self.last_week:%d %b %Y}"
        return f"{self.survey.title}, {weeks}, {where}"


def last_complete_week(today: date) -> date:
    """Only whole weeks are shown: the current one is still filling up."""
    return rollups.week_of(today) - timedelta(weeks=1)


def make_view(
    survey: Survey,
    today: date,
    *,
    first_week: str | None = None,
    last_week: str | None = None,
    zone: str | None = None,
    state: str | None = None,
    lga_state: str | None = None,
    cross_x: str | None = None,
    cross_y: str | None = None,
) -> View:
    """Check filter values from a request; raises :class:`InvalidView` with a plain message."""
    latest = last_complete_week(today)
    last = _week(last_week, "last week") if last_week else latest
    first = (
        _week(first_week, "first week") if first_week else last - timedelta(weeks=DEFAULT_WEEKS - 1)
    )
    if last > latest:
        raise InvalidView("The last week must be a week that has already ended.")
    if first > last:
        raise InvalidView("The first week must not be after the last week.")
    if (last - first).days // 7 + 1 > MAX_WEEKS:
        raise InvalidView(f"Choose at most {MAX_WEEKS} weeks.")
    geography = reference.geography()
    if zone and zone not in geography.zones:
        raise InvalidView("Choose a zone from the list.")
    if state and state not in geography.states:
        raise InvalidView("Choose a state from the list.")
    if zone and state:
        raise InvalidView("Filter by a state or by a zone, not both.")
    x, y = _cross_pair(attributes_of(survey), cross_x, cross_y)
    lga = lga_state or state or "NG-LA"
    if lga not in geography.states:
        raise InvalidView("Choose a state from the list for the LGA chart.")
    return View(survey, first, last, zone or None, state or None, lga, (x, y))


def _cross_pair(chartable: list[str], x: str | None, y: str | None) -> tuple[str, str]:
    """The cross-tab's two attributes; ("", "") when the survey asks too little for one.

    A known attribute that this survey does not ask (left over from another survey's view)
    falls back to the default pair; an unknown one is an error.
    """
    for name in (x, y):
        if name and name not in ATTRIBUTE_LABELS:
            raise InvalidView("Choose two questions from the list for the cross-tab.")
    pairs = [(a, b) for a in chartable for b in chartable if a != b and {a, b} != GEO]
    if not pairs:
        return "", ""
    default = ("age_band", "income_band") if ("age_band", "income_band") in pairs else pairs[0]
    if not (x in chartable and y in chartable):
        return default
    if x == y:
        raise InvalidView("Choose two different questions for the cross-tab.")
    if {x, y} == GEO:
        raise InvalidView("Zone by state says nothing new: choose another pair.")
    return x, y  # type: ignore[return-value]


def _week(raw: str, name: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidView(f"The {name} must be a date like 2026-03-02.") from None
    if day.weekday() != 0:
        raise InvalidView(f"The {name} must be a Monday (weeks run Monday to Sunday).")
    return day


# --- the report -----------------------------------------------------------------------------


@dataclass
class Table:
    """One chart's published numbers: ``rows`` is [(code, label, shown)]."""

    key: str
    title: str
    caption: str
    dimension: str
    rows: list[tuple[str, str, Shown]]
    note: str = ""


@dataclass
class CrossTable:
    key: str
    title: str
    caption: str
    row_attribute: str
    column_attribute: str
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: dict[tuple[str, str], Shown]


@dataclass
class ShareTable:
    """Shares of a published whole (consent per attribute)."""

    key: str
    title: str
    caption: str
    available: bool
    whole: Shown | None = None
    rows: list[tuple[str, str, Shown]] = field(default_factory=list)


@dataclass
class Report:
    view: View
    min_cell: int
    #: Why nothing is shown ("survey" under K in total, or "population" under K in this view).
    withheld: str | None = None
    population: Shown | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    cross: CrossTable | None = None
    consent: ShareTable | None = None
    #: State code -> published count for the map (None outside the view).
    map_values: dict[str, Shown | None] = field(default_factory=dict)


def build_report(
    session: Session,
    view: View,
    *,
    min_cell: int,
    epsilon: float,
    secret: str,
    consent_source: Callable[[], ConsentCounts | None] = lambda: None,
) -> Report:
    report = Report(view, min_cell)
    if rollups.total_responses(session, view.survey.id) < min_cell:
        report.withheld = "survey"
        return report

    data = _Rollups(session, view)
    population = data.view_cell(rollups.TOTAL)
    protector = Protector(population.key, min_cell, epsilon)
    report.population = protector.primary(population)
    if report.population.is_hidden:
        report.withheld = "population"
        return report

    chartable = attributes_of(view.survey)
    margins: dict[str, dict[str, Shown]] = {}
    if "state" in chartable:
        margins.update(_geography(report, protector, data, view))
        _lgas(report, protector, session, view, margins["state"])
    for attribute in ("age_band", "income_band", "gender"):
        if attribute in chartable:
            margins[attribute] = _distribution(report, protector, data, attribute)
    _weekly(report, protector, session, view)
    _funnel(report, CounterProtector(secret, min_cell, epsilon), session, view)
    if view.cross[0]:
        _cross(report, protector, data, view, margins)
    report.consent = consent_table(consent_source(), CounterProtector(secret, min_cell, epsilon))
    return report


def _view_area(view: View) -> tuple[str, str]:
    """The rollup level and area that hold exactly this view's population."""
    if view.state:
        return rollups.STATE, view.state
    if view.zone:
        return rollups.ZONE, view.zone
    return rollups.ALL, ""


class _Rollups:
    """The rollup rows a view needs; every query reads at most a few hundred rows a week."""

    def __init__(self, session: Session, view: View):
        self.session = session
        self.view = view
        level, area = _view_area(view)
        questions = [rollups.TOTAL, *rollups.SINGLES]
        questions += [rollups.pair_name(a, b) for a, b in rollups.PAIRS]
        rows = self._sum(level, [area], questions)
        self.cells = {(q, a, b): cell for (_, q, a, b), cell in rows.items()}

    def _sum(self, level: str, areas: list[str] | None, questions: list[str]) -> dict:  # type: ignore[type-arg]
        r = RollupCell
        query = (
            select(
                r.area, r.question, r.answer_a, r.answer_b, func.sum(r.count), func.sum(r.key_sum)
            )
            .where(
                r.survey_id == self.view.survey.id,
                r.week.between(self.view.first_week, self.view.last_week),
                r.level == level,
                r.question.in_(questions),
            )
            .group_by(r.area, r.question, r.answer_a, r.answer_b)
        )
        if areas is not None:
            query = query.where(r.area.in_(areas))
        return {
            (area, q, a, b): Cell.of(count, key)
            for area, q, a, b, count, key in self.session.execute(query)
        }

    def view_cell(self, question: str, a: str = "", b: str = "") -> Cell:
        return self.cells.get((question, a, b), EMPTY)

    def pair(self, x: str, y: str) -> dict[tuple[str, str], Cell]:
        """Cells of two non-geographic questions, keyed (x answer, y answer)."""
        if (x, y) in rollups.PAIRS:
            name = rollups.pair_name(x, y)
            return {(a, b): c for (q, a, b), c in self.cells.items() if q == name}
        name = rollups.pair_name(y, x)
        return {(b, a): c for (q, a, b), c in self.cells.items() if q == name}

    def by_area(self, geo: str, question: str) -> dict[tuple[str, str], Cell]:
        """Cells of each zone or state in the view (``geo``) by answer to ``question``.

        Keyed (area, answer); with question "total" the answer is "".
        """
        view = self.view
        if view.state or (view.zone and geo == "zone"):
            # The view is one area at this level, or inside one: its own cells.
            area = view.state if geo == "state" else (view.zone or rollups.zone_of(view.state))  # type: ignore[arg-type]
            return {(area, a): c for (q, a, _), c in self.cells.items() if q == question}
        level = rollups.ZONE if geo == "zone" else rollups.STATE
        areas = None
        if view.zone:
            areas = view.states_in_view()
        rows = self._sum(level, areas, [question])
        return {(area, a): cell for (area, _, a, _), cell in rows.items()}


def _rows(codes: Mapping[str, str], shown: Mapping[str, Shown]) -> list[tuple[str, str, Shown]]:
    return [(code, label, shown[code]) for code, label in codes.items()]


def _distribution(
    report: Report, protector: Protector, data: _Rollups, attribute: str
) -> dict[str, Shown]:
    codes = categories(attribute)
    cells = {code: data.view_cell(attribute, code) for code in codes}
    shown: dict[str, Shown] = protector.one_way(cells, report.population)  # type: ignore[assignment]
    question = QUESTIONS[attribute]
    report.tables[attribute] = Table(
        key=attribute,
        title=f"{question.short_label}",
        caption=f"How respondents in this view answered “{question.text}”, including those "
        "who chose “Prefer not to say” and those who left it blank.",
        dimension=question.short_label,
        rows=_rows(codes, shown),
    )
    return shown


def _geography(
    report: Report, protector: Protector, data: _Rollups, view: View
) -> dict[str, dict[str, Shown]]:
    """Zones, then the states of each zone: a hidden state still counts in its zone's total."""
    geography = reference.geography()
    in_view = set(view.states_in_view())
    zone_codes = categories("zone")
    zones_in_view = {geography.states[s].zone for s in in_view}
    by_zone = {area: cell for (area, _), cell in data.by_area("zone", rollups.TOTAL).items()}
    by_state = {area: cell for (area, _), cell in data.by_area("state", rollups.TOTAL).items()}
    # Those who did not say where they live belong to no zone or state: they are rows of the
    # unfiltered view only.
    missing = () if view.zone or view.state else (PREFER_NOT, SKIPPED)
    zone_cells = {
        code: by_zone.get(code, EMPTY)
        for code in zone_codes
        if code in zones_in_view or code in missing
    }
    zones: dict[str, Shown] = protector.one_way(zone_cells, report.population)  # type: ignore[assignment]
    states: dict[str, Shown] = {code: zones[code] for code in missing}
    for zone in sorted(zones_in_view):
        members = [c for c in geography.states if geography.states[c].zone == zone and c in in_view]
        states.update(
            protector.one_way({c: by_state.get(c, EMPTY) for c in members}, zones[zone])  # type: ignore[arg-type]
        )
    report.tables["zone"] = Table(
        key="zone",
        title="Geopolitical zones",
        caption="Respondents per zone. A state with too few respondents to show on the map "
        "still counts here, in its zone.",
        dimension="Zone",
        rows=[(code, label, zones[code]) for code, label in zone_codes.items() if code in zones],
    )
    state_codes = categories("state")
    report.tables["state"] = Table(
        key="state",
        title="States",
        caption="Respondents per state. Darker is more; grey states have fewer than "
        f"{report.min_cell} respondents (or are outside this view). State outlines: "
        "@svg-maps/nigeria by Michael Chukwu, CC BY 4.0.",
        dimension="State",
        rows=[(c, label, states[c]) for c, label in state_codes.items() if c in states],
    )
    report.map_values = {code: states.get(code) for code in geography.states}
    return {"zone": zones, "state": states}


def _lgas(
    report: Report, protector: Protector, session: Session, view: View, states: Mapping[str, Shown]
) -> None:
    """The LGAs of one state. Those with too few respondents are pooled into one
    "other LGAs" row; LGAs are added to the pool until it is big enough to show, or it
    holds them all (then the state total, on the map, is the only figure)."""
    state = view.lga_state
    name = reference.geography().states[state].name
    r = RollupCell
    query = (
        select(r.answer_a, func.sum(r.count), func.sum(r.key_sum))
        .where(
            r.survey_id == view.survey.id,
            r.week.between(view.first_week, view.last_week),
            r.level == rollups.STATE,
            r.area == state,
            r.question == rollups.LGA,
        )
        .group_by(r.answer_a)
    )
    in_view = state in view.states_in_view()
    found = {code: Cell.of(c, k) for code, c, k in session.execute(query)} if in_view else {}
    lga_codes = reference.lga_choices(state)
    cells = {code: found.get(code, EMPTY) for code in lga_codes}
    shown = {code: protector.primary(cell) for code, cell in cells.items()}
    pool = [code for code in lga_codes if shown[code].is_hidden]
    visible = [code for code in lga_codes if not shown[code].is_hidden]
    while True:
        pooled = protector.primary(total(cells[c] for c in pool))
        if not pool or not pooled.is_hidden or not visible:
            break
        smallest = min(visible, key=lambda c: shown[c].value)  # type: ignore[arg-type, return-value]
        visible.remove(smallest)
        pool.append(smallest)
    rows: dict[str, Cell] = {code: cells[code] for code in visible}
    other_code = f"{state}-other"
    if pool:
        rows[other_code] = total(cells[c] for c in pool)
    rows[PREFER_NOT] = found.get(PREFER_NOT, EMPTY)
    rows[SKIPPED] = found.get(SKIPPED, EMPTY)
    margin = states.get(state, Shown(None, Hidden.SMALL)) if in_view else Shown(None, Hidden.SMALL)
    published = protector.one_way(rows, margin)
    labels = {code: lga_codes[code] for code in visible}
    if pool:
        labels[other_code] = (
            f"{len(pool)} other LGAs" if len(pool) < len(lga_codes) else f"All LGAs of {name}"
        )
    labels[PREFER_NOT] = reference.PREFER_NOT_TO_SAY_LABEL
    labels[SKIPPED] = NOT_ANSWERED_LABEL
    report.tables["lga"] = Table(
        key="lga",
        title=f"Local government areas of {name}",
        caption=f"Respondents in {name} by LGA. LGAs with too few respondents to show are "
        "counted together in one row, which is itself shown only when it is big enough.",
        dimension="LGA",
        rows=[(code, labels[code], published[code]) for code in rows],  # type: ignore[index]
        note="" if in_view else f"{name} is outside this view.",
    )


def _weekly(report: Report, protector: Protector, session: Session, view: View) -> None:
    r = RollupCell
    level, area = _view_area(view)
    query = (
        select(r.week, func.sum(r.count), func.sum(r.key_sum))
        .where(
            r.survey_id == view.survey.id,
            r.week.between(view.first_week, view.last_week),
            r.level == level,
            r.area == area,
            r.question == rollups.TOTAL,
        )
        .group_by(r.week)
    )
    found = {week: Cell.of(c, k) for week, c, k in session.execute(query)}
    cells = {week.isoformat(): found.get(week, EMPTY) for week in view.weeks}
    shown = protector.one_way(cells, report.population)
    report.tables["weekly"] = Table(
        key="weekly",
        title="Responses per week",
        caption="New responses in each week (Monday to Sunday, UTC), counted in the week they "
        "were first submitted. Only weeks that have ended are shown.",
        dimension="Week starting",
        rows=[(code, code, shown[code]) for code in cells],  # type: ignore[index]
    )


FUNNEL_LABELS = {
    funnel.SHOWN: "Shown",
    funnel.STARTED: "Started",
    funnel.COMPLETED: "Completed",
    funnel.NOT_NOW: "Said “Not now”",
}


def _funnel(report: Report, counters: CounterProtector, session: Session, view: View) -> None:
    last_day = view.last_week + timedelta(days=6)
    query = (
        select(FunnelCount.event, func.sum(FunnelCount.count))
        .where(
            FunnelCount.survey_id == view.survey.id,
            FunnelCount.day.between(view.first_week, last_day),
        )
        .group_by(FunnelCount.event)
    )
    counts = {event: int(count) for event, count in session.execute(query)}
    rows = [
        (
            event,
            label,
            counters.publish(
                counts.get(event, 0), view.survey.id, event, view.first_week, last_day
            ),
        )
        for event, label in FUNNEL_LABELS.items()
    ]
    report.tables["funnel"] = Table(
        key="funnel",
        title="Survey funnel",
        caption="How often the survey was shown, started, completed or put off with “Not now” "
        "in these weeks, for all of Nigeria (these counters have no location). They count "
        "events, not people: one shopper can see a survey more than once.",
        dimension="Step",
        rows=rows,
    )


def _cross(
    report: Report,
    protector: Protector,
    data: _Rollups,
    view: View,
    margins: Mapping[str, Mapping[str, Shown]],
) -> None:
    x, y = view.cross
    row_codes, column_codes = categories(x), categories(y)
    if x in ("state", "zone"):
        row_codes = {c: label for c, label in row_codes.items() if c in margins[x]}
    if y in ("state", "zone"):
        column_codes = {c: label for c, label in column_codes.items() if c in margins[y]}
    if x in GEO:
        cells = data.by_area(x, y)
    elif y in GEO:
        cells = {(a, area): c for (area, a), c in data.by_area(y, x).items()}
    else:
        cells = data.pair(x, y)
    shown = protector.two_way(
        cells,
        list(row_codes),
        list(column_codes),
        margins[x],
        margins[y],  # type: ignore[arg-type]
    )
    report.cross = CrossTable(
        key="cross",
        title=f"{ATTRIBUTE_LABELS[x]} by {ATTRIBUTE_LABELS[y].lower()}",
        caption="Respondents with each pair of answers. Empty squares have too few respondents "
        "to show, or are hidden so that a small one cannot be worked out from the totals.",
        row_attribute=x,
        column_attribute=y,
        rows=list(row_codes.items()),
        columns=list(column_codes.items()),
        cells=shown,  # type: ignore[arg-type]
    )


def consent_table(counts: ConsentCounts | None, counters: CounterProtector) -> ShareTable:
    title = "Consent to personalisation"
    if counts is None:
        return ShareTable(
            key="consent",
            title=title,
            caption="Not available: the identity store could not be read.",
            available=False,
        )
    whole = counters.publish(counts.signed_in, "consent", "signed_in")
    rows = [
        (
            key,
            QUESTIONS[key].short_label,
            counters.publish(counts.consented.get(key, 0), "consent", key),
        )
        for key in QUESTIONS
    ]
    return ShareTable(
        key="consent",
        title=title,
        caption="Of the signed-in shoppers we know of (a live sign-in or a consent record), "
        "the share who let each answer personalise the shop. Counted from consent records "
        "alone, never matched to answers.",
        available=True,
        whole=whole,
        rows=rows,
    )


def survey_weeks(session: Session, survey_id: uuid.UUID, today: date) -> list[date]:
    """The weeks a view of this survey can start or end on (newest first)."""
    r = RollupCell
    first = session.scalar(
        select(func.min(r.week)).where(
            r.survey_id == survey_id, r.level == rollups.ALL, r.question == rollups.TOTAL
        )
    )
    last = last_complete_week(today)
    if first is None or first > last:
        return [last]
    first = max(first, last - timedelta(weeks=MAX_WEEKS - 1))
    count = (last - first).days // 7 + 1
    return [last - timedelta(weeks=i) for i in range(count)]
