"""Disclosure control: what a published count may show.

Every count the dashboard shows goes through a :class:`Protector`, which applies, in order:

1. **Perturbation by the cell-key method** (Australian Bureau of Statistics' TableBuilder; the
   UK's 2021 Census tables). Each response carries a random *record key*; a cell's key is the
   sum of its records' keys modulo 2**31, so the same set of records always has the same key.
   The noise added to a cell is read from a fixed perturbation table (ptable) at a position
   given by the cell key. We key each lookup with the cell key *and* the *table key* (the
   sum of the keys of every record in the filtered view): the same view always shows the
   same numbers (reloading cannot average the noise away), while two views whose
   populations differ by anyone (one more week, one more state, one answer added, changed or
   deleted) get fresh noise in every cell, so subtracting them does not single out the cell
   that changed. The ptable is a two-sided geometric ("discrete Laplace") distribution with
   parameter ``epsilon``: a difference of one person changes the probability of any shown
   value by a factor of at most e**epsilon.
2. **Threshold**: a cell built on fewer than ``min_cell`` respondents is hidden, and so is one
   whose perturbed value would fall under ``min_cell``: the reader sees only "fewer than K".
3. **Secondary suppression**: in any line of a table whose total is shown, a hidden cell never
   stands alone: the next smallest shown cell is hidden with it, so that no hidden count can
   be worked out by subtraction from the total (which is itself perturbed anyway).

Functions here know nothing about HTTP or the database: they take counts and keys.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache

from surveys.models.answers import RECORD_KEY_RANGE


@dataclass(frozen=True, slots=True)
class Cell:
    """A set of records, known only by how many there are and the sum of their keys."""

    count: int = 0
    key: int = 0

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.count + other.count, (self.key + other.key) % RECORD_KEY_RANGE)

    @classmethod
    def of(cls, count: int, key_sum: int) -> Cell:
        return cls(int(count), int(key_sum) % RECORD_KEY_RANGE)


EMPTY = Cell()


def total(cells: Iterable[Cell]) -> Cell:
    result = EMPTY
    for cell in cells:
        result = result + cell
    return result


class Hidden(Enum):
    #: Fewer than K respondents (or the perturbed count fell under K).
    SMALL = "small"
    #: Hidden so that another hidden cell cannot be worked out from the total.
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class Shown:
    """A published count: ``value``, or ``None`` with the reason it is hidden."""

    value: int | None
    hidden: Hidden | None = None

    @property
    def is_hidden(self) -> bool:
        return self.value is None


class PTable:
    """The perturbation table: cumulative probabilities of each noise value."""

    def __init__(self, epsilon: float, max_abs: int | None = None):
        if not epsilon > 0:
            raise ValueError("epsilon must be positive")
        alpha = math.exp(-epsilon)
        # Far enough out that the cut-off tail is below one in a billion.
        tail = math.ceil(math.log(1e-9) / math.log(alpha)) if alpha > 0 else 1
        self.max_abs = max_abs or max(5, tail)
        self.values = list(range(-self.max_abs, self.max_abs + 1))
        weights = [alpha ** abs(v) for v in self.values]
        scale = sum(weights)
        running = 0.0
        self.cumulative: list[float] = []
        for weight in weights:
            running += weight / scale
            self.cumulative.append(running)
        self.cumulative[-1] = 1.0

    def noise(self, position: float) -> int:
        """The noise at ``position`` in [0, 1)."""
        return self.values[bisect.bisect_right(self.cumulative, position)]


@cache
def ptable(epsilon: float) -> PTable:
    return PTable(epsilon)


def _position(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Protector:
    """Publishes the cells of one filtered view.

    ``table_key`` is the key of the view's whole population (see module docstring).
    """

    def __init__(self, table_key: int, min_cell: int, epsilon: float):
        if min_cell < 1:
            raise ValueError("min_cell must be at least 1")
        self.table_key = table_key % RECORD_KEY_RANGE
        self.min_cell = min_cell
        self.ptable = ptable(epsilon)

    def perturbed(self, cell: Cell) -> int:
        return cell.count + self.ptable.noise(_position("cell", cell.key, self.table_key))

    def primary(self, cell: Cell) -> Shown:
        if cell.count < self.min_cell:
            return Shown(None, Hidden.SMALL)
        value = self.perturbed(cell)
        if value < self.min_cell:
            return Shown(None, Hidden.SMALL)
        return Shown(value)

    def one_way(
        self, cells: Mapping[Hashable, Cell], margin: Shown | None = None
    ) -> dict[Hashable, Shown]:
        """Publish a list of cells that together make up ``margin`` (shown or not)."""
        shown = {name: self.primary(cell) for name, cell in cells.items()}
        if margin is None or not margin.is_hidden:
            _protect_line(shown, list(cells))
        return shown

    def two_way(
        self,
        cells: Mapping[tuple[Hashable, Hashable], Cell],
        rows: Sequence[Hashable],
        columns: Sequence[Hashable],
        row_margins: Mapping[Hashable, Shown],
        column_margins: Mapping[Hashable, Shown],
    ) -> dict[tuple[Hashable, Hashable], Shown]:
        """Publish a cross-tab whose row and column totals are published elsewhere."""
        shown = {(r, c): self.primary(cells.get((r, c), EMPTY)) for r in rows for c in columns}
        lines = [[(r, c) for c in columns] for r in rows if not row_margins[r].is_hidden] + [
            [(r, c) for r in rows] for c in columns if not column_margins[c].is_hidden
        ]
        changed = True
        while changed:
            changed = any([_protect_line(shown, line) for line in lines])
        return shown


def _protect_line(shown: dict, names: list) -> bool:  # type: ignore[type-arg]
    """If exactly one cell of a line with a shown total is hidden, hide the smallest other."""
    hidden = [name for name in names if shown[name].is_hidden]
    visible = [name for name in names if not shown[name].is_hidden]
    if len(hidden) != 1 or not visible:
        return False
    smallest = min(visible, key=lambda name: shown[name].value)
    shown[smallest] = Shown(None, Hidden.SECONDARY)
    return True


class CounterProtector:
    """Threshold and noise for anonymous counters that have no records (funnel, consent).

    The noise position is an HMAC of the counter's identity under a server secret, so the
    same counter over the same period always shows the same value, and the noise cannot be
    worked out by anyone who can read the source.
    """

    def __init__(self, secret: str | bytes, min_cell: int, epsilon: float):
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.min_cell = min_cell
        self.ptable = ptable(epsilon)

    def publish(self, count: int, *identity: object) -> Shown:
        if count < self.min_cell:
            return Shown(None, Hidden.SMALL)
        message = ":".join(map(str, ("counter", count, *identity))).encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        value = count + self.ptable.noise(int.from_bytes(digest[:8], "big") / 2**64)
        if value < self.min_cell:
            return Shown(None, Hidden.SMALL)
        return Shown(value)
