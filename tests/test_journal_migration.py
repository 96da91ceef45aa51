"""Revision 0006_sealed_journal on stores that already hold answers and sessions (SQLite and
PostgreSQL): the rows survive, their old order does not, and the times are coarsened. (The
next revision, 0007_releases, then drops the rollups and record keys: see
tests/dashboard/test_dashboard_migration.py.)"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text

from surveys import clock
from surveys.extensions import db
from surveys.models import Dismissal, FunnelCount, ShopperSession, Survey, UsedToken
from surveys.services.respondents import new_key, respondent_hash
from tests.conftest import settle_now

BEFORE = "0005_dashboard"
JOURNAL = "0006_sealed_journal"
ANSWER_TABLES = ("responses", "dismissals", "funnel_counts", "rollup_cells")
#: Raw statements on the answers store (no model knows these tables' old shapes).
ANSWERS = {"mapper": Survey}
#: The tables as they were at 0005_dashboard (the models have moved on since).
OLD_RESPONSES = sa.table(
    "responses",
    sa.column("id", sa.Uuid()),
    sa.column("survey_id", sa.Uuid()),
    *(sa.column(name, sa.String()) for name in ("respondent_hash", "state_code", "lga_code")),
    *(sa.column(name, sa.String()) for name in ("age_band", "income_band", "gender")),
    sa.column("submitted_on", sa.Date()),
    sa.column("updated_on", sa.Date()),
    sa.column("record_key", sa.Integer()),
)
OLD_SURVEYS = sa.table(
    "surveys",
    sa.column("id", sa.Uuid()),
    *(sa.column(name, sa.String()) for name in ("slug", "title", "intro")),
    sa.column("questions", sa.JSON()),
    sa.column("active", sa.Boolean()),
)
OLD_ROLLUPS = sa.table(
    "rollup_cells",
    sa.column("id", sa.Uuid()),
    sa.column("survey_id", sa.Uuid()),
    sa.column("week", sa.Date()),
    *(sa.column(name, sa.String()) for name in ("level", "area", "question")),
    *(sa.column(name, sa.String()) for name in ("answer_a", "answer_b")),
    sa.column("count", sa.Integer()),
    sa.column("key_sum", sa.BigInteger()),
)


def _empty_stores(app) -> None:
    with app.app_context():
        db.drop_all(bind_key=["answers", "identity"])
        for engine in db.engines.values():
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
                connection.execute(text("DROP TABLE IF EXISTS answer_journal"))
                connection.execute(text("DROP TABLE IF EXISTS files_to_clear"))


def _old_store(app) -> list[dict]:
    """At the revision before, answers written the old way: one at a time, in order."""
    rng = random.Random(6)
    with app.app_context():
        upgrade(revision=BEFORE)
        survey = SimpleNamespace(id=uuid.uuid4())  # the model has columns added since
        db.session.execute(
            insert(OLD_SURVEYS),
            {"id": survey.id, "slug": "about-you", "title": "About you", "intro": "",
             "questions": ["state", "lga", "age_band", "income_band", "gender"], "active": True},
            bind_arguments=ANSWERS,
        )  # fmt: skip
        db.session.commit()
        rows = []
        for n in range(40):
            day = date(2026, 1, 1) + timedelta(days=n // 4)
            rows.append({
                "id": uuid.uuid4(), "survey_id": survey.id,
                "respondent_hash": respondent_hash(new_key()),
                "state_code": rng.choice(["NG-LA", "NG-KN", None]), "lga_code": None,
                "age_band": rng.choice(["age_18_24", "age_65_plus"]), "income_band": None,
                "gender": None, "submitted_on": day, "updated_on": day,
                "record_key": rng.randrange(2**31),
            })  # fmt: skip
            db.session.execute(insert(OLD_RESPONSES), rows[-1], bind_arguments=ANSWERS)
            db.session.commit()
        for n, week in enumerate((date(2025, 12, 29), date(2026, 1, 5))):
            db.session.execute(
                insert(OLD_ROLLUPS),
                {"id": uuid.uuid4(), "survey_id": survey.id, "week": week, "level": "all",
                 "area": "", "question": "total", "answer_a": "", "answer_b": "",
                 "count": 20 + n, "key_sum": 12345 + n},
                bind_arguments=ANSWERS,
            )  # fmt: skip
        db.session.commit()
        db.session.execute(
            insert(Dismissal),
            {"id": uuid.uuid4(), "survey_id": survey.id, "respondent_hash": "d" * 64,
             "until": date(2030, 1, 1)},
        )  # fmt: skip
        db.session.execute(
            insert(FunnelCount),
            {"id": uuid.uuid4(), "survey_id": survey.id, "day": date(2026, 1, 1),
             "event": "shown", "count": 7},
        )  # fmt: skip
        now = clock.now()
        exact = now + timedelta(hours=5, minutes=17, seconds=3, microseconds=9)
        db.session.add_all([
            ShopperSession(token_hash=secrets.token_hex(32), subject="live", expires_at=exact),
            ShopperSession(token_hash=secrets.token_hex(32), subject="gone",
                           expires_at=now - timedelta(minutes=3)),
            UsedToken(jti="spent", expires_at=exact),
        ])  # fmt: skip
        db.session.commit()
        return rows


def _values(app, *, record_keys: bool = False) -> set[tuple]:
    columns = ["id", "respondent_hash", "state_code", "age_band", "submitted_on"]
    columns += ["record_key"] if record_keys else []
    with app.app_context():
        query = select(*(OLD_RESPONSES.c[name] for name in columns))
        return {tuple(row) for row in db.session.execute(query, bind_arguments=ANSWERS)}


def _rollup_cells(app) -> set[tuple]:
    with app.app_context():
        return {
            (row.week, row.count, int(row.key_sum))
            for row in db.session.execute(select(OLD_ROLLUPS), bind_arguments=ANSWERS)
        }


def test_the_upgrade_keeps_every_row_drops_their_order_and_rounds_the_times(make_app):
    app = make_app(create_schema=False)
    _empty_stores(app)
    rows = _old_store(app)
    with app.app_context():
        engine = db.engines["answers"]
        rollups_before = _rollup_cells(app)
        db.session.remove()  # no transaction of ours may hold a table the upgrade rewrites
        upgrade(revision=JOURNAL)
        assert _values(app, record_keys=True) == {
            (r["id"], r["respondent_hash"], r["state_code"], r["age_band"], r["submitted_on"],
             r["record_key"]) for r in rows
        }  # fmt: skip
        assert _rollup_cells(app) == rollups_before
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                for table in ANSWER_TABLES + ("answer_journal", "files_to_clear"):
                    sql = connection.execute(
                        text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                    ).scalar_one()
                    assert sql.rstrip().endswith("WITHOUT ROWID"), table
            else:
                # One transaction wrote every row, in a new file (no dead row of the old
                # order), in an order that is not the old one.
                for table in ANSWER_TABLES:
                    writers = connection.execute(text(f"SELECT DISTINCT xmin::text FROM {table}"))
                    assert len(writers.all()) == 1, table
                physical = (
                    connection.execute(text("SELECT id FROM responses ORDER BY ctid"))
                    .scalars()
                    .all()
                )
                assert physical != [r["id"] for r in rows]
                dead = connection.execute(
                    text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname='responses'")
                ).scalar()
                assert not dead
        sessions = db.session.scalars(select(ShopperSession)).all()
        assert [s.subject for s in sessions] == ["live"]
        (token,) = db.session.scalars(select(UsedToken)).all()
        for moment in (sessions[0].expires_at, token.expires_at):
            assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
        db.session.remove()
        upgrade()
        for bind in ("answers", "identity"):
            with db.engines[bind].connect() as connection:
                context = MigrationContext.configure(connection)
                assert compare_metadata(context, db.metadatas[bind]) == [], bind
        db.session.remove()
    _empty_stores(app)


def test_down_refuses_while_entries_wait_then_down_and_up_again_keep_the_answers(
    make_app, shopper_of, capfd
):
    app = make_app(create_schema=False)
    _empty_stores(app)
    _old_store(app)
    with app.app_context():
        upgrade()
    shopper_of(app).submit("about-you", {"state": "NG-OY"})
    with app.app_context():
        with pytest.raises(SystemExit):
            downgrade(revision=BEFORE)
        assert "2 answer journal entries are not settled yet" in capfd.readouterr().err
        db.session.remove()
    settle_now(app)
    expected = _values(app)
    assert len(expected) == 41
    with app.app_context():
        downgrade(revision=BEFORE)
        engine = db.engines["answers"]
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'responses'")
                ).scalar_one()
                assert "WITHOUT ROWID" not in sql
        assert _values(app) == expected
        upgrade()
        assert _values(app) == expected
        db.session.remove()
    _empty_stores(app)


def test_the_upgrade_leaves_sessions_that_end_exactly_on_the_hour_as_they_are(make_app):
    app = make_app(create_schema=False)
    _empty_stores(app)
    with app.app_context():
        upgrade(revision=BEFORE)
        hour = datetime(2030, 5, 6, 7, tzinfo=UTC)
        db.session.add(ShopperSession(token_hash="t" * 64, subject="s", expires_at=hour))
        db.session.commit()
        upgrade()
        assert db.session.scalars(select(ShopperSession.expires_at)).one() == hour
        db.session.remove()
    _empty_stores(app)
