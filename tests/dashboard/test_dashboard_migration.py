"""Revisions 0005_dashboard and 0007_releases on stores that already hold answers (SQLite and
PostgreSQL): up, down and up again, keeping every answer."""

from __future__ import annotations

import uuid
from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from surveys.extensions import db
from surveys.services.reporting import release


def _empty_stores(app) -> None:
    with app.app_context():
        db.drop_all(bind_key=["answers", "identity"])
        for engine in db.engines.values():
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
                connection.execute(text("DROP TABLE IF EXISTS rollup_cells"))


def _id(engine, value: uuid.UUID):
    return value.hex if engine.dialect.name == "sqlite" else value


def _old_answers(answers) -> None:
    survey_id = uuid.uuid4()
    with answers.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO surveys (id, slug, title, intro, questions, active) "
                "VALUES (:id, 'old', 'Old', '', '[\"state\", \"gender\"]', true)"
            ),
            {"id": _id(answers, survey_id)},
        )
        for n, (state, gender) in enumerate(
            [("NG-LA", "female"), ("NG-LA", "female"), ("NG-KN", None)]
        ):
            connection.execute(
                text(
                    "INSERT INTO responses (id, survey_id, respondent_hash, state_code, "
                    "gender, submitted_on, updated_on) VALUES (:id, :survey, :who, :state, "
                    ":gender, :day, :day)"
                ),
                {
                    "id": _id(answers, uuid.uuid4()),
                    "survey": _id(answers, survey_id),
                    "who": f"{n:064d}",
                    "state": state,
                    "gender": gender,
                    "day": date(2026, 3, 4),
                },
            )


def _state_totals(connection) -> dict[str, int]:
    rows = connection.execute(
        text("SELECT area, count FROM rollup_cells WHERE level = 'state' AND question = 'total'")
    )
    return dict(rows.fetchall())


def test_releases_replace_the_rollups_and_record_keys_and_the_way_back_restores_them(make_app):
    app = make_app(create_schema=False)
    _empty_stores(app)
    with app.app_context():
        upgrade(revision="e989faee71c1")
        answers = db.engines["answers"]
        _old_answers(answers)
        upgrade(revision="0005_dashboard")
        with answers.connect() as connection:
            assert _state_totals(connection) == {"NG-LA": 2, "NG-KN": 1}

        upgrade()
        tables = inspect(answers).get_table_names()
        assert "rollup_cells" not in tables and {"releases", "release_tables"} <= set(tables)
        columns = {c["name"] for c in inspect(answers).get_columns("responses")}
        assert "record_key" not in columns
        with answers.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM responses")).scalar() == 3
        # The answers already in the store are released by the first run of the job.
        weeks = release.release_due_weeks(db.session, date(2026, 3, 16))
        db.session.commit()
        assert weeks == [date(2026, 3, 2), date(2026, 3, 9)]

        db.session.remove()
        downgrade(revision="0005_dashboard")
        assert "releases" not in inspect(answers).get_table_names()
        with answers.connect() as connection:
            assert _state_totals(connection) == {"NG-LA": 2, "NG-KN": 1}
            keys = [row[0] for row in connection.execute(text("SELECT record_key FROM responses"))]
        assert len(keys) == 3 and all(isinstance(k, int) for k in keys)
        upgrade()
        assert "releases" in inspect(answers).get_table_names()
        db.session.remove()
    _empty_stores(app)
