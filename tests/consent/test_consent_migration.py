"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from surveys.extensions import db


def unmigrated_app(make_app):
    """An app on empty stores: no tables, no Alembic version (PostgreSQL's are shared)."""
    app = make_app(create_schema=False)
    with app.app_context():
        db.drop_all(bind_key=["answers", "identity"])
        for engine in db.engines.values():
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return app


def test_upgrade_head_gives_the_models_schema_in_both_stores(make_app):
    app = unmigrated_app(make_app)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        for bind in ("answers", "identity"):
            with db.engines[bind].connect() as connection:
                context = MigrationContext.configure(connection)
                assert compare_metadata(context, db.metadatas[bind]) == [], bind
        tables = set(inspect(db.engines["identity"]).get_table_names())
        assert {"consent_records", "consent_links", "shopper_sessions", "profile_reads"} <= tables
        assert "consent_links" not in inspect(db.engines["answers"]).get_table_names()


def test_downgrade_removes_the_consent_tables(make_app):
    app = unmigrated_app(make_app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "e989faee71c1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engines["identity"]).get_table_names())
    assert "consent_records" not in tables and "used_tokens" in tables
