"""The dashboard's numbers for one filtered view: post-processing of the stored release only.

Every number here is a sum of released noisy cells (see :mod:`.release`), with the variance
of its noise: one week's national total is one cell; twelve weeks of a zone's age band is
the sum of that band's cells in the zone's states over the twelve weeks. Re-slicing,
reloading and comparing views can only recombine the same released cells, so nothing can be
averaged or subtracted beyond what the release itself gives (and that is bounded by the
budget in :mod:`.privacy`). Nothing here reads a response.

A number is shown when its noisy value is at least ``min_cell`` ("fewer than 10" otherwise):
a threshold on the noisy value, never on a true count, for readability only (the noise is
what protects people). Every number carries its 95% margin of error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import reference
from surveys.i18n import in_english
from surveys.models import Release, ReleaseTable, Survey
from surveys.models.releases import CONSENT
from surveys.questions import QUESTIONS
from surveys.services.reporting import tables
from surveys.services.reporting.privacy import margin95
from surveys.services.reporting.release import last_closed_week
from surveys.services.reporting.tables import (
    GIVEN,
    NOT_ANSWERED_LABEL,
    PREFER_NOT,
    SKIPPED,
    WITHDRAWN,
    categories,
)

log = logging.getLogger("surveys.reporting")

#: A view may span at most this many weeks (two years).
MAX_WEEKS = 104
#: The default view: the last this-many released weeks.
DEFAULT_WEEKS = 12

ATTRIBUTE_LABELS = {
    "zone": "Geopolitical zone",
    "state": "State",
    "age_band": "Age band",
    "income_band": "Monthly income band",
    "gender": "Gender",
}
GEO = {"zone", "state"}


class InvalidView(ValueError):
    """A filter that names no survey, week, zone, state or attribute we know."""


# --- estimates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """A published number: a sum of released noisy cells, and the variance of its noise."""

    value: int
    variance: float

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.value + other.value, self.variance + other.variance)

    @property
    def margin(self) -> float:
        """Half-width of its 95% interval."""
        return margin95(self.variance)

    def shown(self, min_cell: int) -> int | None:
        """The value, if it is big enough to show (``None`` for "fewer than K")."""
        return self.value if self.value >= min_cell else None


ZERO = Estimate(0, 0.0)


def total(estimates: Iterable[Estimate]) -> Estimate:
    result = ZERO
    for estimate in estimates:
        result = result + estimate
    return result


# --- the view -------------------------------------------------------------------------------


def attributes_of(survey: Survey) -> list[str]:
    """The chartable attributes a survey asks about, in display order."""
    asked = set(survey.questions)
    result = ["zone", "state"] if "state" in asked else []
    return result + [a for a in tables.ATTRIBUTES if a in asked]


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


def released_weeks(session: Session, survey_id: uuid.UUID) -> list[date]:
    """The weeks of this survey that have been released, newest first (at most two years)."""
    return list(
        session.scalars(
            select(Release.week)
            .where(Release.survey_id == survey_id)
            .order_by(Release.week.desc())
            .limit(MAX_WEEKS)
        )
    )


def make_view(
    survey: Survey,
    today: date,
    released: Sequence[date],
    *,
    first_week: str | None = None,
    last_week: str | None = None,
    zone: str | None = None,
    state: str | None = None,
    lga_state: str | None = None,
    cross_x: str | None = None,
    cross_y: str | None = None,
) -> View:
    """Check filter values from a request; raises :class:`InvalidView` with a plain message.

    ``released``: the survey's released weeks; without any, the view is of the last closed
    week (and shows that nothing is released yet).
    """
    closed = last_closed_week(today)
    latest = max((week for week in released if week <= closed), default=closed)
    last = _week(last_week, "last week") if last_week else latest
    first = (
        _week(first_week, "first week") if first_week else last - timedelta(weeks=DEFAULT_WEEKS - 1)
    )
    if last > closed:
        raise InvalidView("The last week must be a week that has already ended.")
    if released and last > latest:
        raise InvalidView(
            f"The week of {last:%d %b %Y} is not released yet: weeks are released once they "
            "have ended."
        )
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
    if (zone or state) and "state" not in survey.questions:
        raise InvalidView("This survey does not ask where people live: choose all of Nigeria.")
    x, y = _cross_pair(attributes_of(survey), cross_x, cross_y)
    if lga_state and lga_state not in geography.states:
        raise InvalidView("Choose a state from the list for the LGA chart.")
    lga = lga_state_in_area(zone or None, state or None, lga_state)
    return View(survey, first, last, zone or None, state or None, lga, (x, y))


def states_in_area(zone: str | None, state: str | None) -> list[str]:
    """The codes of the states in an area (a zone, one state, or all of Nigeria), in the order
    of their names."""
    names = reference.state_choices()
    states = reference.geography().states
    if state:
        return [state]
    return [code for code in names if zone is None or states[code].zone == zone]


def lga_state_in_area(zone: str | None, state: str | None, wanted: str | None) -> str:
    """The state whose LGAs are charted: the one asked for if it is in the area, else the
    area's own state, else Lagos if it is in the area, else the area's first state. A state
    left over from a view of another area never draws an empty chart."""
    area = states_in_area(zone, state)
    for choice in (wanted, state, "NG-LA"):
        if choice in area:
            return choice  # type: ignore[return-value]
    return area[0]


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


# --- reading the release --------------------------------------------------------------------


class Released:
    """The stored noisy vectors of some tables over a range of weeks, summed on demand."""

    def __init__(
        self,
        session: Session,
        scope: str,
        first: date,
        last: date,
        names: Iterable[str],
        layouts: Mapping[str, tables.Layout],
    ):
        self.layouts = layouts
        query = (
            select(Release.week, ReleaseTable.table_key, ReleaseTable.layout, ReleaseTable.sigma,
                   ReleaseTable.counts)
            .join(ReleaseTable, ReleaseTable.release_id == Release.id)
            .where(Release.scope == scope, Release.week.between(first, last),
                   ReleaseTable.table_key.in_(list(names)))
        )  # fmt: skip
        #: week -> table name -> (noisy counts, noise variance of each cell)
        self.by_week: dict[date, dict[str, tuple[list[int], float]]] = {}
        for week, name, layout, sigma, counts in session.execute(query):
            expected = layouts[name]
            if layout != expected.fingerprint or len(counts) != expected.size:
                # Released over another cell list: never misread it as this one.
                log.warning("release table layout changed", extra={"fields": {"table": name}})
                continue
            self.by_week.setdefault(week, {})[name] = (counts, sigma * sigma)
        self._sums: dict[str, tuple[list[int], float]] = {}

    @property
    def weeks(self) -> list[date]:
        return sorted(self.by_week)

    def summed(self, name: str) -> tuple[list[int], float]:
        """The table summed over every released week: counts, and each cell's noise variance."""
        if name not in self._sums:
            size = self.layouts[name].size
            counts = [0] * size
            variance = 0.0
            for tables_of_week in self.by_week.values():
                found = tables_of_week.get(name)
                if found is None:
                    continue
                vector, cell_variance = found
                counts = [a + b for a, b in zip(counts, vector, strict=True)]
                variance += cell_variance
            self._sums[name] = (counts, variance)
        return self._sums[name]

    def cell(self, name: str, *cell: str) -> Estimate:
        counts, variance = self.summed(name)
        return Estimate(counts[self.layouts[name].index[cell]], variance)

    def cells(self, name: str, cells: Iterable[tuple[str, ...]]) -> Estimate:
        """The sum of several cells of one table."""
        counts, variance = self.summed(name)
        index = self.layouts[name].index
        positions = [index[cell] for cell in cells]
        return Estimate(sum(counts[p] for p in positions), variance * len(positions))

    def weekly(self, name: str, *cell: str) -> dict[date, Estimate]:
        position = self.layouts[name].index[cell]
        result = {}
        for week, tables_of_week in self.by_week.items():
            found = tables_of_week.get(name)
            if found is not None:
                result[week] = Estimate(found[0][position], found[1])
        return result


# --- the report -----------------------------------------------------------------------------


@dataclass
class Table:
    """One chart's published numbers: ``rows`` is [(code, label, estimate or None)]."""

    key: str
    title: str
    caption: str
    dimension: str
    rows: list[tuple[str, str, Estimate | None]]
    unit: str = "Respondents"
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
    cells: dict[tuple[str, str], Estimate]


@dataclass
class ShareTable:
    """Shares of a released whole (consent per attribute)."""

    key: str
    title: str
    caption: str
    available: bool
    whole: Estimate | None = None
    rows: list[tuple[str, str, Estimate]] = field(default_factory=list)


@dataclass
class Report:
    view: View
    min_cell: int
    #: Why nothing is shown: "unreleased" (no week released yet), "survey" (under K in all
    #: released weeks) or "population" (under K in this view).
    withheld: str | None = None
    population: Estimate | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    cross: CrossTable | None = None
    consent: ShareTable | None = None
    #: State code -> its estimate for the map (None outside the view).
    map_values: dict[str, Estimate | None] = field(default_factory=dict)
    #: The released weeks this view sums (weeks of the range never released are left out).
    weeks_released: list[date] = field(default_factory=list)


def _survey_total(session: Session, survey: Survey) -> int | None:
    """The noisy total of every released week of the survey (its "total" table); None when
    no week is released yet."""
    counts = session.scalars(
        select(ReleaseTable.counts)
        .join(Release, ReleaseTable.release_id == Release.id)
        .where(Release.survey_id == survey.id, ReleaseTable.table_key == "total")
    ).all()
    return sum(vector[0] for vector in counts) if counts else None


def _needed(view: View, layouts: Mapping[str, tables.Layout], keys: set[str] | None) -> set[str]:
    """The released tables the charts ``keys`` (all when None) of this view are sums of."""
    national = not (view.zone or view.state)
    level = "national" if national else "state"

    def wanted(key: str) -> bool:
        return keys is None or key in keys

    names = {_view_cell(view)[0]}  # the population, and the weekly chart
    if wanted("zone") or wanted("state"):
        names |= {"zone", "state"}
    if wanted("lga"):
        names.add("lga")
    if wanted("funnel"):
        names |= {tables.FUNNEL.name, "total"}
    names |= {f"{a}@{level}" for a in tables.ATTRIBUTES if wanted(a)}
    x, y = view.cross
    if x and wanted("cross"):
        if x in GEO or y in GEO:
            names.add(f"{y if x in GEO else x}@state")
        else:
            names.add(f"{tables.pair_name(*_pair_order(x, y))}@{level}")
    return {n for n in names if n in layouts}


def _pair_order(x: str, y: str) -> tuple[str, str]:
    return (x, y) if (x, y) in tables.PAIRS else (y, x)


def build_report(
    session: Session, view: View, *, min_cell: int, keys: set[str] | None = None
) -> Report:
    """The published numbers of ``view``; with ``keys``, only those charts (for a CSV)."""
    report = Report(view, min_cell)
    all_layouts = {layout.name: layout for layout in tables.layouts_for(view.survey.questions)}
    all_layouts[tables.FUNNEL.name] = tables.FUNNEL
    survey_total = _survey_total(session, view.survey)
    if survey_total is None:
        report.withheld = "unreleased"
        return report
    if survey_total < min_cell:
        report.withheld = "survey"
        return report
    data = Released(
        session,
        str(view.survey.id),
        view.first_week,
        view.last_week,
        _needed(view, all_layouts, keys),
        all_layouts,
    )
    report.weeks_released = data.weeks
    report.population = _view_total(data, view)
    if report.population.value < min_cell:
        report.withheld = "population"
        return report

    def wanted(key: str) -> bool:
        return keys is None or key in keys

    chartable = attributes_of(view.survey)
    if "state" in chartable and (wanted("zone") or wanted("state")):
        _geography(report, data, view)
    if "state" in chartable and wanted("lga") and "lga" in all_layouts:
        _lgas(report, data, view)
    for attribute in tables.ATTRIBUTES:
        if attribute in chartable and wanted(attribute):
            _distribution(report, data, view, attribute)
    if wanted("weekly"):
        _weekly(report, data, view)
    if wanted("funnel"):
        _funnel(report, data, view)
    if view.cross[0] and wanted("cross"):
        _cross(report, data, view)
    if wanted("consent"):
        report.consent = consent_table(session, view)
    return report


def _view_cell(view: View) -> tuple[str, tuple[str, ...]]:
    """The table and cell holding this view's whole population, one week at a time."""
    if view.state:
        return "state", (view.state,)
    if view.zone:
        return "zone", (view.zone,)
    return "total", ()


def _view_total(data: Released, view: View) -> Estimate:
    name, cell = _view_cell(view)
    return data.cell(name, *cell)


def _geography(report: Report, data: Released, view: View) -> None:
    """Zones and states of the view, each from its own released table."""
    geography = reference.geography()
    in_view = view.states_in_view()
    zone_codes = categories("zone")
    if view.state:
        zones = {geography.states[view.state].zone: data.cell("state", view.state)}
    elif view.zone:
        zones = {view.zone: data.cell("zone", view.zone)}
    else:
        zones = {code: data.cell("zone", code) for code in zone_codes}
    report.tables["zone"] = Table(
        key="zone",
        title="Geopolitical zones",
        caption="Respondents per zone (in a state's view, that state's own count). Each zone "
        "is released as a whole, so it does not have to equal the sum of its states.",
        dimension="Zone",
        rows=[(code, label, zones[code]) for code, label in zone_codes.items() if code in zones],
    )
    # Those who did not say where they live belong to no state: rows of the national view only.
    missing = () if view.zone or view.state else (PREFER_NOT, SKIPPED)
    states = {code: data.cell("state", code) for code in [*in_view, *missing]}
    report.tables["state"] = Table(
        key="state",
        title="States",
        caption="Respondents per state. Darker is more; grey states show fewer than "
        f"{report.min_cell} (or are outside this view). State outlines: "
        "@svg-maps/nigeria by Michael Chukwu, CC BY 4.0.",
        dimension="State",
        rows=[(c, label, states[c]) for c, label in categories("state").items() if c in states],
    )
    report.map_values = {code: states.get(code) for code in geography.states}


def _lgas(report: Report, data: Released, view: View) -> None:
    """The LGAs of one state. LGAs whose released count is under K are pooled into one
    "other LGAs" row, which takes in the smallest shown LGAs until it is big enough to show
    (a choice made on released numbers only, so it is post-processing too)."""
    state = view.lga_state
    name = reference.geography().states[state].name
    lga_codes = reference.lga_choices(state)
    title = f"Local government areas of {name}"
    caption = (
        f"Respondents in {name} by LGA. LGAs with too few respondents to show are counted "
        "together in one row, shown once it is big enough."
    )
    if state not in view.states_in_view():
        rows: list[tuple[str, str, Estimate | None]] = [
            (code, label, None) for code, label in tables.lga_categories(state).items()
        ]
        report.tables["lga"] = Table(
            "lga", title, caption, "LGA", rows, note=f"{name} is outside this view."
        )
        return
    estimates = {code: data.cell("lga", state, code) for code in tables.lga_categories(state)}
    k = report.min_cell
    pool = [code for code in lga_codes if estimates[code].value < k]
    visible = [code for code in lga_codes if estimates[code].value >= k]
    while pool and visible and total(estimates[c] for c in pool).value < k:
        smallest = min(visible, key=lambda c: estimates[c].value)
        visible.remove(smallest)
        pool.append(smallest)
    rows = [(code, lga_codes[code], estimates[code]) for code in visible]
    if pool:
        label = f"{len(pool)} other LGAs" if len(pool) < len(lga_codes) else f"All LGAs of {name}"
        rows.append((f"{state}-other", label, total(estimates[c] for c in pool)))
    rows.append((PREFER_NOT, in_english(reference.PREFER_NOT_TO_SAY_LABEL), estimates[PREFER_NOT]))
    rows.append((SKIPPED, NOT_ANSWERED_LABEL, estimates[SKIPPED]))
    report.tables["lga"] = Table("lga", title, caption, "LGA", rows)


def _attribute_cells(data: Released, view: View, attribute: str) -> dict[str, Estimate]:
    """The view's counts of each answer to ``attribute``."""
    codes = categories(attribute)
    if not (view.zone or view.state):
        return {code: data.cell(f"{attribute}@national", code) for code in codes}
    states = view.states_in_view()
    return {code: data.cells(f"{attribute}@state", [(s, code) for s in states]) for code in codes}


def _distribution(report: Report, data: Released, view: View, attribute: str) -> None:
    codes = categories(attribute)
    estimates = _attribute_cells(data, view, attribute)
    question = QUESTIONS[attribute]
    report.tables[attribute] = Table(
        key=attribute,
        title=in_english(question.short_label),
        caption=f"How respondents in this view answered “{in_english(question.text)}”, "
        "including those who chose “Prefer not to say” and those who left it blank.",
        dimension=in_english(question.short_label),
        rows=[(code, label, estimates[code]) for code, label in codes.items()],
    )


def _weekly(report: Report, data: Released, view: View) -> None:
    name, cell = _view_cell(view)
    found = data.weekly(name, *cell)
    report.tables["weekly"] = Table(
        key="weekly",
        title="Responses per week",
        caption="New responses in each week (Monday to Sunday, UTC), counted in the week they "
        "were first submitted, as released when the week ended.",
        dimension="Week starting",
        rows=[(w.isoformat(), w.isoformat(), found.get(w)) for w in view.weeks],
    )


FUNNEL_LABELS = {
    "shown": "Shown",
    "started": "Started",
    "completed": "Completed",
    "not_now": "Said “Not now”",
}


def _funnel(report: Report, data: Released, view: View) -> None:
    events = {code: data.cell(tables.FUNNEL.name, code) for code in tables.FUNNEL_EVENTS}
    events["completed"] = data.cell("total")
    report.tables["funnel"] = Table(
        key="funnel",
        title="Survey funnel",
        caption="How often the survey was shown, started or put off with “Not now” in these "
        "weeks, and how many new responses it got, for all of Nigeria (these counters have no "
        "location). Shown, started and “Not now” count events, not people: one shopper can "
        "see a survey more than once.",
        dimension="Step",
        rows=[(code, label, events[code]) for code, label in FUNNEL_LABELS.items()],
        unit="Events",
    )


def _geo_rows(view: View, geo: str) -> list[tuple[str, str]]:
    missing = () if view.zone or view.state else (PREFER_NOT, SKIPPED)
    if geo == "state":
        wanted = set(view.states_in_view()) | set(missing)
    else:
        zones = {tables.zone_of(s) for s in view.states_in_view()}
        wanted = zones | set(missing)
    return [(code, label) for code, label in categories(geo).items() if code in wanted]


def _cross(report: Report, data: Released, view: View) -> None:
    x, y = view.cross
    national = not (view.zone or view.state)
    cells: dict[tuple[str, str], Estimate] = {}
    if x in GEO or y in GEO:
        geo, attribute = (x, y) if x in GEO else (y, x)
        geo_rows = _geo_rows(view, geo)
        for area, _ in geo_rows:
            states = (
                [area]
                if geo == "state" or area in (PREFER_NOT, SKIPPED)
                else [s for s in view.states_in_view() if tables.zone_of(s) == area]
            )
            for code in categories(attribute):
                estimate = data.cells(f"{attribute}@state", [(s, code) for s in states])
                cells[(area, code) if x in GEO else (code, area)] = estimate
        rows = geo_rows if x in GEO else list(categories(x).items())
        columns = list(categories(y).items()) if x in GEO else geo_rows
    else:
        a, b = _pair_order(x, y)
        name = tables.pair_name(a, b)
        states = view.states_in_view()
        for code_a in categories(a):
            for code_b in categories(b):
                if national:
                    estimate = data.cell(f"{name}@national", code_a, code_b)
                else:
                    estimate = data.cells(f"{name}@state", [(s, code_a, code_b) for s in states])
                cells[(code_a, code_b) if (x, y) == (a, b) else (code_b, code_a)] = estimate
        rows, columns = list(categories(x).items()), list(categories(y).items())
    report.cross = CrossTable(
        key="cross",
        title=f"{ATTRIBUTE_LABELS[x]} by {ATTRIBUTE_LABELS[y].lower()}",
        caption=f"Respondents with each pair of answers (squares under {report.min_cell} read "
        f"“fewer than {report.min_cell}”). Each square’s margin of error is in its hover "
        "text and in the table of numbers below.",
        row_attribute=x,
        column_attribute=y,
        rows=rows,
        columns=columns,
        cells=cells,
    )


def consent_table(session: Session, view: View) -> ShareTable:
    """Consent choices made in the view's weeks, from the weekly consent releases."""
    layouts = {layout.name: layout for layout in tables.consent_layouts()}
    data = Released(session, CONSENT, view.first_week, view.last_week, layouts, layouts)
    title = "Consent to personalisation"
    if not data.weeks:
        return ShareTable(
            key="consent",
            title=title,
            caption="No consent choices have been released for these weeks.",
            available=False,
        )
    whole = data.cell("consent:status", GIVEN) + data.cell("consent:status", WITHDRAWN)
    rows = [
        (key, in_english(QUESTIONS[key].short_label), data.cell(f"consent:{key}", tables.ALLOWED))
        for key in QUESTIONS
    ]
    return ShareTable(
        key="consent",
        title=title,
        caption="Of the consent choices signed-in shoppers made in these weeks (each shopper's "
        "newest choice in a week, for all surveys and all of Nigeria), the share that let each "
        "answer personalise the shop. Counted from consent records alone, never matched to "
        "answers, and released weekly with noise like every other number.",
        available=True,
        whole=whole,
        rows=rows,
    )
