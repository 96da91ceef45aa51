"""On PostgreSQL each store is its own database reached through its own least-privilege role."""

import subprocess
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_PREFIX, TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only: set TEST_DATABASE_URL to run"
)
ROLES_SQL = Path(__file__).parent.parent / "deploy" / "postgres" / "roles.sql"


def _url(database, user=None, driver="postgresql"):
    url = make_url(TEST_DATABASE_URL).set(drivername=driver, database=database)
    if user:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def database_binds(postgres_binds):
    """These tests are about PostgreSQL alone: no SQLite run."""
    return postgres_binds


@pytest.fixture
def role_databases(make_app):
    """Fresh answers and identity databases, migrated by the owner, with the roles applied."""
    import psycopg

    names = {bind: f"{TEST_DATABASE_PREFIX}_roles_{bind}" for bind in ("answers", "identity")}
    admin_database = make_url(TEST_DATABASE_URL).database
    with psycopg.connect(_url(admin_database), autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        owner = connection.execute("SELECT current_user").fetchone()[0]
    owner_binds = {bind: _url(name, driver="postgresql+psycopg") for bind, name in names.items()}
    app = make_app(create_schema=False, SQLALCHEMY_BINDS=owner_binds)
    with app.app_context():
        upgrade()
        from surveys.extensions import db

        for engine in db.engines.values():
            engine.dispose()
    subprocess.run(
        ["psql", "--quiet", "--no-psqlrc", _url(admin_database),
         "-v", f"answers_db={names['answers']}", "-v", f"identity_db={names['identity']}",
         "-v", f"migrator={owner}", "-f", str(ROLES_SQL)],
        check=True, capture_output=True,
    )  # fmt: skip
    return names


def _connect(database, role):
    import psycopg

    return psycopg.connect(_url(database, role), autocommit=True)


def test_the_answers_role_cannot_reach_the_identity_store(role_databases):
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect(role_databases["identity"], "surveys_answers_rw")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect(role_databases["identity"], "surveys_dashboard_ro")


def test_the_identity_role_cannot_reach_the_answers_store(role_databases):
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _connect(role_databases["answers"], "surveys_identity_rw")


def test_the_dashboard_role_can_only_read(role_databases):
    import psycopg

    with _connect(role_databases["answers"], "surveys_dashboard_ro") as connection:
        assert connection.execute("SELECT count(*) FROM responses").fetchone() == (0,)
        with pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="permission denied for table"
        ):
            connection.execute("DELETE FROM responses")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("INSERT INTO surveys (id, slug, title, intro, questions, active) "
                               "VALUES (gen_random_uuid(), 'x', 'x', '', '[]', true)")  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DROP TABLE responses")
        # The dashboard's released tables: readable, never written by the dashboard.
        assert connection.execute("SELECT count(*) FROM release_tables").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DELETE FROM releases")


def test_the_app_serves_shoppers_through_the_least_privilege_roles(
    role_databases, make_app, shopper_of
):
    from surveys.extensions import db
    from surveys.services import catalogue

    binds = {
        "answers": _url(role_databases["answers"], "surveys_answers_rw", "postgresql+psycopg"),
        "identity": _url(role_databases["identity"], "surveys_identity_rw", "postgresql+psycopg"),
    }
    app = make_app(create_schema=False, SQLALCHEMY_BINDS=binds)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    shopper = shopper_of(app)
    assert shopper.submit("about-you", {"gender": "female"}).status_code == 303
    assert app.test_client().get("/readyz").status_code == 200
    # The web app's role cannot run the nightly settle: it cannot rewrite tables it does
    # not own, so the settle refuses before changing anything and says who can.
    result = app.test_cli_runner().invoke(args=["answers", "settle", "--include-today"])
    assert result.exit_code == 1
    assert "does not own" in result.output and "the role that ran the migrations" in result.output
    with _connect(role_databases["answers"], "surveys_dashboard_ro") as connection:
        # Still sealed: the page view's entry and the answers'.
        assert connection.execute("SELECT count(*) FROM answer_journal").fetchone() == (2,)
    owner_binds = {bind: _url(name, driver="postgresql+psycopg")
                   for bind, name in role_databases.items()}  # fmt: skip
    keys = {name: app.config[name] for name in ("ANSWERS_SEALING_KEY", "LINK_ENCRYPTION_KEY")}
    owner = make_app(create_schema=False, SQLALCHEMY_BINDS=owner_binds, **keys)
    result = owner.test_cli_runner().invoke(args=["answers", "settle", "--include-today"])
    assert result.exit_code == 0, result.output
    with _connect(role_databases["answers"], "surveys_dashboard_ro") as connection:
        assert connection.execute("SELECT gender FROM responses").fetchall() == [("female",)]
