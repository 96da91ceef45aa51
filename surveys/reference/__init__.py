"""Fixed public lists the surveys ask from: Nigeria's geography and the answer bands.

Everything a survey stores is a stable code from these lists, never a display label, and
every chart's categories come from here rather than from the data. Labels are lazy
translations (shown in the page's language; the dashboard and API are English); state and LGA
names stay as officially written, in every language.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from surveys.i18n import naira

#: The code stored when a shopper picks "Prefer not to say" (skipping stores nothing).
PREFER_NOT_TO_SAY = "prefer_not_to_say"
PREFER_NOT_TO_SAY_LABEL = _l("Prefer not to say")


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    zone: str


@dataclass(frozen=True, slots=True)
class Lga:
    code: str
    name: str
    state_code: str


@dataclass(frozen=True, slots=True)
class Geography:
    states: dict[str, State]
    lgas: dict[str, Lga]
    lgas_by_state: dict[str, tuple[Lga, ...]]
    zones: tuple[str, ...]


@cache
def geography() -> Geography:
    """Load the shipped state and LGA list once per process."""
    states: dict[str, State] = {}
    lgas: dict[str, Lga] = {}
    by_state: dict[str, list[Lga]] = {}
    data = resources.files(__package__).joinpath("data/nigeria_lgas.csv")
    with data.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            state = states.setdefault(
                row["state_code"], State(row["state_code"], row["state"], row["zone"])
            )
            lga = Lga(row["lga_code"], row["lga"], state.code)
            lgas[lga.code] = lga
            by_state.setdefault(state.code, []).append(lga)
    ordered_states = dict(sorted(states.items(), key=lambda item: item[1].name))
    return Geography(
        states=ordered_states,
        lgas=lgas,
        lgas_by_state={code: tuple(items) for code, items in by_state.items()},
        zones=tuple(sorted({state.zone for state in states.values()})),
    )


#: Age bands. "Under 18" is offered so that children can say so; it is never stored.
UNDER_18 = "under_18"
AGE_BANDS: dict[str, str | LazyString] = {
    UNDER_18: _l("Under 18"),
    "age_18_24": "18–24",
    "age_25_34": "25–34",
    "age_35_44": "35–44",
    "age_45_54": "45–54",
    "age_55_64": "55–64",
    "age_65_plus": _l("65 and over"),
}


def _under(amount: int) -> LazyString:
    return LazyString(lambda: gettext("Under %(amount)s", amount=naira(amount)))


def _between(low: int, high: int) -> LazyString:
    return LazyString(lambda: gettext("%(low)s – %(high)s", low=naira(low), high=naira(high)))


def _and_above(amount: int) -> LazyString:
    return LazyString(lambda: gettext("%(amount)s and above", amount=naira(amount)))


#: Monthly income in naira, cut around the 2024 national minimum wage of ₦70,000. The amounts
#: are written the way the page's language writes them (₦70,000 in English, ₦ 70,000 in Hausa).
INCOME_BANDS: dict[str, str | LazyString] = {
    "income_below_70k": _under(70_000),
    "income_70k_150k": _between(70_000, 149_999),
    "income_150k_300k": _between(150_000, 299_999),
    "income_300k_600k": _between(300_000, 599_999),
    "income_600k_1m": _between(600_000, 999_999),
    "income_1m_plus": _and_above(1_000_000),
}

#: No free text: a self-described gender can single a person out.
GENDERS: dict[str, str | LazyString] = {
    "female": _l("Female"),
    "male": _l("Male"),
    "another_gender": _l("Another gender"),
}


def state_choices() -> dict[str, str]:
    return {code: state.name for code, state in geography().states.items()}


def lga_choices(state_code: str | None) -> dict[str, str]:
    """The LGAs of one state; none when no real state is chosen."""
    lgas = geography().lgas_by_state.get(state_code or "", ())
    return {lga.code: lga.name for lga in lgas}


def lga_names_by_state() -> dict[str, str]:
    """Compact form for the browser: LGA names joined by '|', in code order.

    The browser derives each code from its position (NG-LA-01 is the first), which keeps the
    survey page and its data under the 20 KB budget; a test checks the two agree.
    """
    return {
        code: "|".join(lga.name for lga in lgas) for code, lgas in geography().lgas_by_state.items()
    }
