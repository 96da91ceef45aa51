"""Disclosure control as plain functions: noise, threshold and secondary suppression."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.services.disclosure import (
    Cell,
    CounterProtector,
    Hidden,
    Protector,
    PTable,
    Shown,
    total,
)

K = 10


def test_the_ptable_is_a_symmetric_distribution_centred_on_zero():
    table = PTable(0.5)
    probabilities = [
        b - a for a, b in zip([0.0, *table.cumulative], table.cumulative, strict=False)
    ]
    assert table.cumulative[-1] == 1.0
    assert abs(sum(p * v for p, v in zip(probabilities, table.values, strict=True))) < 1e-9
    middle = table.values.index(0)
    for offset in range(1, 6):
        assert probabilities[middle + offset] == pytest.approx(probabilities[middle - offset])
        # A difference of one person changes any value's probability by at most e^epsilon.
        ratio = probabilities[middle + offset - 1] / probabilities[middle + offset]
        assert ratio == pytest.approx(2.718281828**0.5)


def test_the_same_records_in_the_same_view_always_show_the_same_number():
    protector = Protector(table_key=123456, min_cell=K, epsilon=0.5)
    cell = Cell.of(57, 987654321)
    assert len({protector.primary(cell).value for _ in range(5)}) == 1
    again = Protector(table_key=123456, min_cell=K, epsilon=0.5)
    assert again.primary(cell) == protector.primary(cell)


def test_a_different_view_population_draws_fresh_noise():
    cell = Cell.of(57, 987654321)
    values = {Protector(key, K, 0.5).perturbed(cell) for key in range(200)}
    assert len(values) > 5


def test_a_cell_under_k_is_hidden_whatever_its_noise():
    for key in range(300):
        protector = Protector(table_key=key, min_cell=K, epsilon=0.5)
        for count in range(K):
            shown = protector.primary(Cell.of(count, key * 7919 + count))
            assert shown == Shown(None, Hidden.SMALL)


def test_a_cell_whose_noisy_count_falls_under_k_is_hidden_too():
    outcomes = [Protector(key, K, 0.5).primary(Cell.of(K, 4242)) for key in range(300)]
    assert any(s.is_hidden for s in outcomes) and any(not s.is_hidden for s in outcomes)
    assert all(s.value >= K for s in outcomes if not s.is_hidden)


def test_a_lone_hidden_cell_takes_the_next_smallest_with_it():
    protector = Protector(table_key=1, min_cell=K, epsilon=50)  # epsilon 50: no noise
    cells = {"a": Cell.of(40, 1), "b": Cell.of(3, 2), "c": Cell.of(25, 3), "d": Cell.of(12, 4)}
    margin = protector.primary(total(cells.values()))
    shown = protector.one_way(cells, margin)
    assert shown["b"] == Shown(None, Hidden.SMALL)
    assert shown["d"] == Shown(None, Hidden.SECONDARY)
    assert (shown["a"].value, shown["c"].value) == (40, 25)


def test_no_secondary_suppression_is_needed_when_the_total_is_hidden_or_two_cells_are():
    protector = Protector(table_key=1, min_cell=K, epsilon=50)
    cells = {"a": Cell.of(40, 1), "b": Cell.of(3, 2), "c": Cell.of(2, 3), "d": Cell.of(12, 4)}
    shown = protector.one_way(cells, protector.primary(total(cells.values())))
    assert [name for name, s in shown.items() if s.is_hidden] == ["b", "c"]
    alone = {"a": Cell.of(40, 1), "b": Cell.of(3, 2)}
    shown = protector.one_way(alone, Shown(None, Hidden.SMALL))
    assert shown["a"].value == 40


@settings(max_examples=150, deadline=None)
@given(
    counts=st.lists(
        st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=6),
        min_size=2,
        max_size=6,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1),
    table_key=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_in_a_cross_tab_no_line_with_a_shown_total_has_exactly_one_hidden_cell(counts, table_key):
    rng = random.Random(table_key)
    protector = Protector(table_key, K, 0.5)
    rows, columns = range(len(counts)), range(len(counts[0]))
    cells = {(r, c): Cell.of(counts[r][c], rng.randrange(2**31)) for r in rows for c in columns}
    row_margins = {r: protector.primary(total(cells[(r, c)] for c in columns)) for r in rows}
    column_margins = {c: protector.primary(total(cells[(r, c)] for r in rows)) for c in columns}
    shown = protector.two_way(cells, list(rows), list(columns), row_margins, column_margins)
    for (r, c), published in shown.items():
        if cells[(r, c)].count < K:
            assert published.is_hidden
        if not published.is_hidden:
            assert published.value >= K
    lines = [[(r, c) for c in columns] for r in rows if not row_margins[r].is_hidden]
    lines += [[(r, c) for r in rows] for c in columns if not column_margins[c].is_hidden]
    for line in lines:
        hidden = [name for name in line if shown[name].is_hidden]
        assert len(hidden) != 1 or len(hidden) == len(line)


def test_counters_are_thresholded_and_their_noise_needs_the_server_secret():
    one = CounterProtector("secret one", K, 0.5)
    other = CounterProtector("secret two", K, 0.5)
    assert one.publish(K - 1, "survey", "shown") == Shown(None, Hidden.SMALL)
    values = [one.publish(100, "survey", "shown", week) for week in range(40)]
    assert len({v.value for v in values}) > 3
    assert one.publish(100, "survey", "shown", 1) == one.publish(100, "survey", "shown", 1)
    assert [one.publish(100, "s", w).value for w in range(20)] != [
        other.publish(100, "s", w).value for w in range(20)
    ]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="epsilon"):
        PTable(0)
    with pytest.raises(ValueError, match="min_cell"):
        Protector(1, 0, 0.5)
