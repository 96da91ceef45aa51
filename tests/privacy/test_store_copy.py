"""A copy of both stores, taken at any moment, links no one to their answers beyond chance.

Threat (docs/privacy.md, "What an insider learns"): an insider copies both stores (the SQLite
files with their -wal; on PostgreSQL ``pg_dump``, ``xmin``/``ctid`` and the relation files)
and holds the shop's own logs, which say when each customer submitted, changed or deleted
answers; they do not hold the app's keys. The attack (tests/privacy/attack.py) lines the
answer rows up, in physical order, against the customers in the order they wrote, within
each group of rows that share a first and a last day (the days are in the rows by design).

Sizes: 150 days of 2 new customers, in rotation anonymous / signed in without consent /
consenting, with 12 days' pairs coming back to change their answers and 10 to delete them,
about 95 customers per group with a row. Every group of rows sharing its days has two
members, so chance is 1/2 and the bound 1.5 x chance is 75 %. A store that keeps no order
gives Binomial-like hits; ``null_tail`` computes exactly, from the sets the run produced, the
probability that it would exceed the bound anyway: below 1e-6 per assertion (about 5
standard deviations), so with the 24 assertions of a run on both backends a correct store
fails by luck with probability under 3e-5 (the test checks that sharpness itself).
The rows written the old way (insert, update, delete at once, in arrival order) are linked
almost always by the same attack: it can fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from surveys.extensions import db
from surveys.models import Response, ShopperSession, UsedToken
from surveys.services import catalogue
from tests.conftest import TEST_DATABASE_PREFIX, TEST_DATABASE_URL, settle_now
from tests.privacy import rawfiles
from tests.privacy.attack import (
    GROUPS,
    Row,
    Scenario,
    line_up,
    old_layout_sqlite,
    replay_old_layout,
    run_scenario,
    simulated_clock,
)

DAYS, PER_DAY, CHANGES, DELETIONS = 150, 2, 12, 10
BOUND = 1.5
#: A store with no order must exceed the bound with at most this probability per assertion.
SHARP = 1e-6
#: Rows written the old way are linked at least this many times more often than chance.
OLD_LAYOUT_FACTOR = 1.7


def _date(value: Any) -> Any:
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value))


def copy_answers(app: Flask, to: Path) -> dict[str, list[Row]]:
    """Copy the answers store as an insider would and read each row's physical position,
    every way the engine offers one."""
    with app.app_context():
        engine = db.engines["answers"]
    if engine.dialect.name == "sqlite":
        copied = rawfiles.copy_sqlite(Path(engine.url.database), to)
        cells = rawfiles.sqlite_table(copied, "responses")
        names = [column.name for column in Response.__table__.columns]

        def row(cell: rawfiles.Cell, position: tuple[Any, ...]) -> Row:
            values = dict(zip(names, cell.values, strict=True))
            return Row(
                values["respondent_hash"],
                _date(values["submitted_on"]),
                _date(values["updated_on"]),
                position,
            )

        return {
            "B-tree order": [row(c, (c.order,)) for c in cells],
            "page and offset": [row(c, (c.page, -c.offset)) for c in cells],
        }
    rows = rawfiles.xmin_ctid(engine, "responses", "respondent_hash, submitted_on, updated_on")
    dump = rawfiles.pg_dump(engine, ["responses"])
    return {
        "xmin, ctid": [
            Row(r.respondent_hash, r.submitted_on, r.updated_on, (r.xmin, r.page, r.slot))
            for r in rows
        ],
        "pg_dump order": [
            Row(d["respondent_hash"], _date(d["submitted_on"]), _date(d["updated_on"]), (i,))
            for i, d in enumerate(rawfiles.dump_rows(dump, "responses"))
        ],
    }


def _assert_no_better_than_chance(copy: str, signals: dict[str, list[Row]], scenario, through):
    for signal, rows in signals.items():
        linked = line_up(rows, scenario.people, through)
        assert set(linked) == set(GROUPS)
        for linkage in linked.values():
            assert linkage.people >= 85, linkage
            assert linkage.null_tail < SHARP, f"too few customers for a sharp test: {linkage}"
            assert linkage.hits <= BOUND * linkage.chance, f"{copy}, {signal}: {linkage}"


def test_a_copy_of_both_stores_links_no_one_beyond_chance(make_app, tmp_path):
    app = make_app()
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    copies: dict[str, dict[str, list[Row]]] = {}
    # No app context around the run: each request must get its own (and its own ``g``).
    with simulated_clock() as set_clock:
        scenario = run_scenario(
            app, set_clock, days=DAYS, per_day=PER_DAY, changes=CHANGES, deletions=DELETIONS,
            mid_last_day=lambda: copies.setdefault("mid-day", copy_answers(app, tmp_path / "m")),
        )  # fmt: skip
        last = scenario.first_day + timedelta(days=DAYS - 1)
        now = datetime.combine(last + timedelta(days=1), time(0, 5), UTC)
        set_clock(now)
        settle_now(app, include_today=False)
        copies["after the settle"] = copy_answers(app, tmp_path / "s")
    with app.app_context():
        sessions = db.session.scalars(select(ShopperSession)).all()
        tokens = db.session.scalars(select(UsedToken)).all()

    # Mid-day, the clear rows are those settled last night: days up to yesterday.
    _assert_no_better_than_chance("mid-day", copies["mid-day"], scenario, last - timedelta(1))
    _assert_no_better_than_chance("after the settle", copies["after the settle"], scenario, last)

    # The identity store says no more than the hour a session ends or a token is forgotten,
    # and keeps no session that ended more than a day ago (expired ones go at each sign-in).
    for moment in [s.expires_at for s in sessions] + [t.expires_at for t in tokens]:
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
    assert all(session.expires_at > now - timedelta(hours=24) for session in sessions)

    # Control: the same attack on the same customers' rows written the old way (insert,
    # update, delete at once, in arrival order) links most of them. If this ever stops
    # failing the old layout, the attack has gone blind.
    for signal, rows in _old_layout_rows(app, scenario, tmp_path).items():
        for linkage in line_up(rows, scenario.people, last).values():
            assert linkage.hits > OLD_LAYOUT_FACTOR * linkage.chance, f"{signal}: {linkage}"


def _old_layout_rows(app: Flask, scenario: Scenario, tmp_path: Path) -> dict[str, list[Row]]:
    with app.app_context():
        engine = db.engines["answers"]
    if engine.dialect.name == "sqlite":
        path = old_layout_sqlite(scenario.people, tmp_path / "old.db")
        copied = rawfiles.copy_sqlite(path, tmp_path / "old-copy")
        cells = rawfiles.sqlite_table(copied, "responses")
        return {
            "B-tree order": [
                Row(c.values[1], _date(c.values[3]), _date(c.values[4]), (c.order,)) for c in cells
            ],
        }
    name = f"{TEST_DATABASE_PREFIX}_old_layout"
    admin = create_engine(
        make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    old = create_engine(
        make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg", database=name),
        isolation_level="AUTOCOMMIT",
    )
    with old.connect() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE responses (id UUID PRIMARY KEY, respondent_hash VARCHAR(64), "
            "income_band VARCHAR(32), submitted_on DATE, updated_on DATE)"
        )
        statements = {
            "submit": "INSERT INTO responses VALUES "
            "(CAST(:id AS UUID), :respondent_hash, :income_band, :day, :day)",
            "change": "UPDATE responses SET income_band = :income_band, updated_on = :day "
            "WHERE respondent_hash = :respondent_hash",
            "delete": "DELETE FROM responses WHERE respondent_hash = :respondent_hash",
        }
        replay_old_layout(
            scenario.people,
            lambda what, row: connection.execute(
                text(statements[what]), {**row, "day": _date(row["day"])}
            ),
        )
    rows = rawfiles.xmin_ctid(old, "responses", "respondent_hash, submitted_on, updated_on")
    dump = rawfiles.pg_dump(old, ["responses"])
    old.dispose()
    return {
        "xmin, ctid": [
            Row(r.respondent_hash, r.submitted_on, r.updated_on, (r.xmin, r.page, r.slot))
            for r in rows
        ],
        "pg_dump order": [
            Row(d["respondent_hash"], _date(d["submitted_on"]), _date(d["updated_on"]), (i,))
            for i, d in enumerate(rawfiles.dump_rows(dump, "responses"))
        ],
    }
