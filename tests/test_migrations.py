"""The schema is made by migrations: upgrading from empty gives exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from surveys.extensions import db

BINDS = ("answers", "identity")


def _differences(bind):
    with db.engines[bind].connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadatas[bind])


def _tables(bind):
    return set(inspect(db.engines[bind]).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_gives_exactly_the_models_schema(empty_app):
    with empty_app.app_context():
        upgrade()
        for bind in BINDS:
            assert _differences(bind) == [], bind
            assert _tables(bind) == set(db.metadatas[bind].tables)


def test_downgrade_to_empty_and_upgrade_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        for bind in BINDS:
            assert _tables(bind) == set()
        upgrade()
        for bind in BINDS:
            assert _differences(bind) == []


def test_each_store_gets_only_its_own_tables(empty_app):
    with empty_app.app_context():
        upgrade()
        assert "responses" in _tables("answers") and "responses" not in _tables("identity")
        assert "used_tokens" in _tables("identity") and "used_tokens" not in _tables("answers")
