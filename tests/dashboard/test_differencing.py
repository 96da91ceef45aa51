"""Differencing attacks: two views whose populations differ by one shopper.

Each attack is run many times over, with the record keys drawn afresh each time (as if the
same answers had been collected again), and scored against guessing. The same attack on
unprotected counts succeeds every time, which shows the attack itself is real.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from dashboard_helpers import make_respond, redraw_record_keys, report_for, week_day, week_start

from surveys.extensions import db
from surveys.services import answers as answer_service
from surveys.services import catalogue, reports
from tests.conftest import settle_now

TRIALS = 80
AGES = ["age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_64", "age_65_plus"]
TARGET_AGE = "age_45_54"
#: With epsilon 0.5 the best possible guess from one age chart is right at most
#: e^0.5 / (e^0.5 + 6) = 22% of the time against 1 in 7 by chance; allow for sampling.
MOST_SUCCESSES = 0.30


def _age_counts(report: reports.Report) -> dict[str, int | None]:
    return {code: shown.value for code, _, shown in report.tables["age_band"].rows}


def _guess(before: dict, after: dict, rng: random.Random) -> tuple[str, int]:
    """The attacker's best guess: the age band that grew most; and how many bands changed."""
    diffs = {
        c: after[c] - before[c] for c in before if before[c] is not None and after[c] is not None
    }
    best = max(diffs.values())
    changed = sum(1 for d in diffs.values() if d != 0)
    return rng.choice(sorted(c for c, d in diffs.items() if d == best)), changed


def _attack(app, views: tuple[dict, dict], trials: int = TRIALS) -> tuple[float, float]:
    rng = random.Random(42)
    wins = lone_changes = 0
    for _ in range(trials):
        redraw_record_keys(app, rng)
        before = _age_counts(report_for(app, **views[0]))
        after = _age_counts(report_for(app, **views[1]))
        guess, changed = _guess(before, after, rng)
        wins += guess == TARGET_AGE
        lone_changes += changed == 1
    return wins / trials, lone_changes / trials


def _crowd(app, state: str, weeks: range) -> None:
    add = make_respond(app)
    for week in weeks:
        for age, times in zip(
            [*AGES, "prefer_not_to_say"], [16, 20, 14, 12, 11, 11, 11], strict=True
        ):
            add(
                "about-you",
                {"state": state, "age_band": age, "gender": "female"},
                times=times,
                day=week_day(week),
            )


def _unprotected(app, views: tuple[dict, dict]) -> str:
    exact = app.config["DASHBOARD_NOISE_EPSILON"]
    app.config["DASHBOARD_NOISE_EPSILON"] = 1000.0  # no noise: the raw counts
    try:
        guess, _ = _guess(*(_age_counts(report_for(app, **v)) for v in views), random.Random(1))
    finally:
        app.config["DASHBOARD_NOISE_EPSILON"] = exact
    return guess


@pytest.fixture
def attack_app(dashboard_app) -> Callable[..., object]:
    return dashboard_app(DASHBOARD_NOISE_EPSILON=0.5)


def test_one_more_week_does_not_reveal_the_one_shopper_who_answered_in_it(attack_app):
    _crowd(attack_app, "NG-LA", range(2, 5))
    make_respond(attack_app)(
        "about-you", {"state": "NG-LA", "age_band": TARGET_AGE}, day=week_day(1)
    )
    views = (
        {"first_week": week_start(4), "last_week": week_start(2)},
        {"first_week": week_start(4), "last_week": week_start(1)},
    )
    assert _unprotected(attack_app, views) == TARGET_AGE
    success, lone = _attack(attack_app, views)
    assert success <= MOST_SUCCESSES
    # Every cell's noise changes with the population, so the changed cell does not stand out.
    assert lone <= 0.05


def test_one_more_state_does_not_reveal_the_one_shopper_who_lives_there(attack_app):
    _crowd(attack_app, "NG-LA", range(1, 3))
    make_respond(attack_app)(
        "about-you", {"state": "NG-OG", "age_band": TARGET_AGE}, day=week_day(1)
    )
    span = {"first_week": week_start(2), "last_week": week_start(1)}
    views = ({**span, "state": "NG-LA"}, {**span, "zone": "South West"})
    assert _unprotected(attack_app, views) == TARGET_AGE
    success, lone = _attack(attack_app, views)
    assert success <= MOST_SUCCESSES and lone <= 0.05


def test_an_answer_given_between_two_page_loads_changes_nothing_on_the_page(attack_app):
    """It falls in the current week, which is shown only once it has ended (with everyone
    else who answered that week)."""
    _crowd(attack_app, "NG-LA", range(1, 3))
    before = report_for(attack_app)
    make_respond(attack_app)(
        "about-you", {"state": "NG-LA", "age_band": TARGET_AGE}, day=week_day(0, weekday=0)
    )
    after = report_for(attack_app)
    for key, table in before.tables.items():
        if key != "funnel":
            assert table.rows == after.tables[key].rows, key
    assert before.cross.cells == after.cross.cells


def test_a_changed_answer_redraws_the_noise_of_every_cell(attack_app):
    """Editing one's answers changes one record: if only its two cells moved, comparing the
    page before and after would show what was changed. The record key is drawn afresh, which
    changes the view's key and so every cell's noise."""
    _crowd(attack_app, "NG-LA", range(1, 3))
    (who,) = make_respond(attack_app)("about-you", {"state": "NG-LA", "age_band": "age_18_24"})
    before = report_for(attack_app)
    with attack_app.app_context():
        survey = catalogue.find(db.session, "about-you")
        full = {"state": "NG-LA", "age_band": TARGET_AGE}
        answer_service.save_answers(db.session, survey, who, full, week_day(1))
        db.session.commit()
    settle_now(attack_app)
    after = report_for(attack_app)
    # Cells the edit did not touch: other age bands, and every gender and state.
    untouched = [
        (key, code)
        for key in ("age_band", "gender", "state", "zone")
        for code, _, shown in before.tables[key].rows
        if shown.value is not None and code not in ("age_18_24", TARGET_AGE)
    ]
    assert len(untouched) >= 6
    value = lambda report, key, code: dict(  # noqa: E731
        (c, s.value) for c, _, s in report.tables[key].rows
    )[code]
    moved = [cell for cell in untouched if value(before, *cell) != value(after, *cell)]
    assert len(moved) >= len(untouched) // 2
