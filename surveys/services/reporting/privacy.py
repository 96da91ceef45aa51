"""Privacy accounting and noise, with OpenDP: the budget, how it is split, what it means.

The guarantee is zero-concentrated differential privacy (zCDP, Bun & Steinke 2016). One week's
release of one survey is a single OpenDP measurement: a *composition* of one measurement per
table, each of which maps every response to its cell (row by row), counts the cells
(``make_count_by_categories``, L2 sensitivity 1 under adding or removing a response) and adds
discrete Gaussian noise (``make_gaussian`` on integers; Canonne, Kamath & Steinke 2020). The
composition's privacy map, computed by OpenDP, is the release's privacy loss per response;
:func:`measure` refuses a plan whose loss exceeds the budget.

Budgets (each for one *unit*, a different kind of neighbour):

- ``rho`` per response per survey-week: a response is in exactly one week's release of its
  survey (the week it was first submitted), so across weeks this is parallel composition.
- ``event_rho`` per funnel event (shown, started, "Not now"): these counters have no per-person
  bound (a reload counts again), so their guarantee is event-level, said as such.
- ``consent_rho`` per subject per week in which they made a consent choice.

The noise comes from OpenDP's samplers (a cryptographically secure generator), never from
Python's ``random``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import opendp.prelude as dp

from surveys.services.reporting.tables import Layout

# "contrib": the measurements above are contributed (proved, not yet vetted by OpenDP's
# committee). "honest-but-curious": our row-by-row mapping of each response to its cell is a
# user transformation; its stability (one response in, one value out) is ours to vouch for.
dp.enable_features("contrib", "honest-but-curious")

#: δ at which the (ε, δ) equivalent of a ρ is stated.
DELTA = 1e-6


class BudgetError(ValueError):
    """A release that would spend more than its budget, or a budget that makes no sense."""


@dataclass(frozen=True, slots=True)
class Budget:
    """How much privacy each release may spend (zCDP ρ), per unit."""

    rho: float = 0.5
    event_rho: float = 0.5
    consent_rho: float = 0.5

    def __post_init__(self) -> None:
        for name in ("rho", "event_rho", "consent_rho"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise BudgetError(f"{name} must be a positive number, not {value!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Budget:
        return cls(
            rho=config.get("DASHBOARD_RHO", cls.rho),
            event_rho=config.get("DASHBOARD_EVENT_RHO", cls.event_rho),
            consent_rho=config.get("DASHBOARD_CONSENT_RHO", cls.consent_rho),
        )


def split(layouts: Sequence[Layout], rho: float) -> dict[str, float]:
    """Each table's noise scale σ when ``rho`` is shared by the tables' weights.

    A table with sensitivity 1 and discrete Gaussian noise of scale σ costs 1 / (2σ²).
    """
    total = sum(layout.weight for layout in layouts)
    return {layout.name: math.sqrt(1 / (2 * rho * layout.weight / total)) for layout in layouts}


def equal_split(layouts: Sequence[Layout], rho: float) -> dict[str, float]:
    return {layout.name: math.sqrt(len(layouts) / (2 * rho)) for layout in layouts}


# --- OpenDP measurements ---------------------------------------------------------------------

_RECORDS = dp.vector_domain(dp.atom_domain(T=dp.i32))
_SYMMETRIC = dp.symmetric_distance()


def _cells_of(layout: Layout, decode: Callable[[int], Any]) -> Callable[[list[int]], list[int]]:
    """Row by row: a record's code -> its cell's index in ``layout`` (-1: not in the table)."""
    index = layout.index
    memo: dict[int, int] = {}

    def locate(code: int) -> int:
        found = memo.get(code)
        if found is None:
            cell = layout.locate(decode(code))
            found = memo[code] = -1 if cell is None else index[cell]
        return found

    return lambda codes: [locate(code) for code in codes]


def _table_measurement(layout: Layout, sigma: float, decode: Callable[[int], Any]) -> Any:
    to_cells = dp.t.make_user_transformation(
        _RECORDS,
        _SYMMETRIC,
        _RECORDS,
        _SYMMETRIC,
        function=_cells_of(layout, decode),
        # Each record becomes exactly one value: d records changed in, d changed out.
        stability_map=lambda d_in: d_in,
    )
    return (
        to_cells
        >> dp.t.then_count_by_categories(
            categories=list(range(layout.size)), null_category=False, MO=dp.L2Distance[int]
        )
        >> dp.m.then_gaussian(scale=sigma)
    )


@dataclass(frozen=True)
class Measured:
    """A release's measurement, ready to run, with the privacy loss OpenDP computed for it."""

    layouts: tuple[Layout, ...]
    sigmas: tuple[float, ...]
    rhos: tuple[float, ...]
    rho: float
    run: Callable[[list[int]], list[list[int]]]


def measure(
    layouts: Sequence[Layout],
    sigmas: Mapping[str, float],
    budget_rho: float,
    decode: Callable[[int], Any],
) -> Measured:
    """One composed measurement over records (one code per unit) for these tables.

    Raises :class:`BudgetError` if OpenDP's privacy map says it spends more than the budget.
    Made once per process for each plan (the measurement draws fresh noise at every run).
    """
    plan = tuple(sigmas[layout.name] for layout in layouts)
    return _measure(tuple(layouts), plan, budget_rho, decode)


@cache
def _measure(
    layouts: tuple[Layout, ...],
    sigmas: tuple[float, ...],
    budget_rho: float,
    decode: Callable[[int], Any],
) -> Measured:
    tables = [
        _table_measurement(layout, sigma, decode)
        for layout, sigma in zip(layouts, sigmas, strict=True)
    ]
    composed = dp.c.make_composition(tables)
    spent = float(composed.map(1))
    # Floating-point slack only: the split is made to spend exactly the budget.
    if spent > budget_rho * (1 + 1e-9):
        raise BudgetError(f"this release would spend ρ = {spent:.4f}, over its {budget_rho}")
    return Measured(
        layouts=layouts,
        sigmas=sigmas,
        rhos=tuple(float(table.map(1)) for table in tables),
        rho=spent,
        run=lambda codes: [list(vector) for vector in composed(codes)],
    )


def noisy_counters(counts: Sequence[int], sigma: float) -> tuple[list[int], float]:
    """Discrete Gaussian noise on a vector of event counters (one event moves one counter by
    one); returns the noisy vector and ρ per event."""
    gaussian = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int), size=len(counts)),
        dp.l2_distance(T=int),
        scale=sigma,
    )
    return list(gaussian([int(c) for c in counts])), float(gaussian.map(1))


@cache
def epsilon_for(rho: float, delta: float = DELTA) -> float:
    """The ε of (ε, δ)-DP that ρ-zCDP implies at ``delta`` (OpenDP's conversion)."""
    # A Gaussian measurement that spends exactly ρ for a change of one.
    gaussian = dp.m.make_gaussian(
        dp.atom_domain(T=float, nan=False),
        dp.absolute_distance(T=float),
        scale=math.sqrt(1 / (2 * rho)),
    )
    try:
        return float(dp.c.make_zCDP_to_approxDP(gaussian).map(1.0).epsilon(delta))
    except dp.OpenDPException:
        return math.inf  # a ρ so large that ε overflows: no meaningful bound


def margin95(variance: float) -> float:
    """Half-width of a 95% interval for a sum of independent noise draws of this variance.

    The variance of discrete Gaussian noise of scale σ is at most σ²; the sum of a few is close
    to normal, so 1.96 standard deviations.
    """
    return 1.96 * math.sqrt(variance)
