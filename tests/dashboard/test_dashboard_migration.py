"""Revision 0005_dashboard on stores that already hold answers (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from surveys.extensions import db
from surveys.services import rollups


def _empty_stores(app) -> None:
    with app.app_context():
        db.drop_all(bind_key=["answers", "identity"])
        for engine in db.engines.values():
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_the_upgrade_gives_old_answers_record_keys_and_counts_them_into_rollups(make_app):
    app = make_app(create_schema=False)
    _empty_stores(app)
    with app.app_context():
        upgrade(revision="e989faee71c1")
        survey_id = uuid.uuid4()
        answers = db.engines["answers"]
        with answers.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO surveys (id, slug, title, intro, questions, active) "
                    "VALUES (:id, 'old', 'Old', '', '[\"state\", \"gender\"]', true)"
                ),
                {"id": survey_id.hex if answers.dialect.name == "sqlite" else survey_id},
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
                        "id": uuid.uuid4().hex
                        if answers.dialect.name == "sqlite"
                        else uuid.uuid4(),
                        "survey": survey_id.hex if answers.dialect.name == "sqlite" else survey_id,
                        "who": f"{n:064d}",
                        "state": state,
                        "gender": gender,
                        "day": date(2026, 3, 4),
                    },
                )
        upgrade()
        with answers.connect() as connection:
            keys = [row[0] for row in connection.execute(text("SELECT record_key FROM responses"))]
        assert len(keys) == 3 and all(isinstance(k, int) for k in keys)
        stored = rollups.stored(db.session)
        assert stored == rollups.recount(db.session)
        states = {
            key[3]: count
            for key, (count, _) in stored.items()
            if key[2:5] == ("state", key[3], "total")
        }
        assert states == {"NG-LA": 2, "NG-KN": 1}
        assert "staff_users" in inspect(db.engines["identity"]).get_table_names()
        db.session.remove()
        downgrade(revision="e989faee71c1")
        assert "rollup_cells" not in inspect(db.engines["answers"]).get_table_names()
        assert "staff_sessions" not in inspect(db.engines["identity"]).get_table_names()
        upgrade()
    _empty_stores(app)
