"""The dashboard can read the answers store from a read replica (``ANSWERS_READ_DATABASE_URL``).

The "replica" here is a separate copy of the answers store holding a different population from
the primary, so every number on the page says which store it was read from.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from dashboard_helpers import EXACT, make_respond, make_staff_in, release, sign_in
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from surveys.config import load_config
from surveys.dashboard.reading import READ_BIND, ReadOnlySessionError, reading_session
from surveys.extensions import db
from surveys.models import Response, Survey
from surveys.services import catalogue
from tests.conftest import TEST_DATABASE_PREFIX, settle_now

POPULATION = re.compile(r'id="population">(\d+)<')


@pytest.fixture
def replica_url(database_binds, tmp_path) -> str:
    """An empty second answers database on the same backend as the primary."""
    primary = make_url(database_binds["answers"])
    if primary.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'answers_read'}.db"
    import psycopg

    name = f"{TEST_DATABASE_PREFIX}_answers_read"
    admin = primary.set(drivername="postgresql", database="test").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        # Afresh each time: tables an older revision left there must not fail this run.
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return primary.set(database=name).render_as_string(False)


@pytest.fixture
def fill_replica(make_app, database_binds, replica_url):
    """Write answers into the replica, through an app whose answers store is the replica, and
    release them there (on a real streaming replica the primary's releases arrive this way)."""
    writer = make_app(
        create_schema=False, SQLALCHEMY_BINDS={**database_binds, "answers": replica_url}, **EXACT
    )
    with writer.app_context():
        db.drop_all(bind_key="answers")
        db.create_all(bind_key="answers")
        catalogue.load_defaults(db.session)
        db.session.commit()
    respond = make_respond(writer)

    def fill(*args, **kwargs):
        respond(*args, **kwargs)
        release(writer)

    return fill


def _signed_in(app):
    client = app.test_client()
    assert sign_in(client, make_staff_in(app, "analyst")).status_code == 303
    return client


def _gender_export(client) -> dict[str, str]:
    response = client.get("/dashboard/export/gender.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return {row[0]: row[2] for row in rows[1:]}


def _responses(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Response.__table__))
    finally:
        engine.dispose()


def test_the_setting_adds_a_read_bind_that_no_model_uses(tmp_path):
    assert READ_BIND not in load_config(tmp_path, {})["SQLALCHEMY_BINDS"]
    url = "postgresql+psycopg://replica/answers"
    binds = load_config(tmp_path, {"ANSWERS_READ_DATABASE_URL": url})["SQLALCHEMY_BINDS"]
    assert binds[READ_BIND] == url
    assert set(binds) == {"answers", "identity", READ_BIND}


def test_the_page_and_the_exports_show_the_replicas_numbers(
    dashboard_app, database_binds, replica_url, fill_replica
):
    app = dashboard_app(SQLALCHEMY_BINDS={**database_binds, READ_BIND: replica_url}, **EXACT)
    make_respond(app)("about-you", {"state": "NG-KN", "gender": "male"}, times=12)  # primary
    release(app)
    fill_replica("about-you", {"state": "NG-LA", "gender": "female"}, times=31)
    client = _signed_in(app)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert POPULATION.search(page.get_data(as_text=True)).group(1) == "31"
    shown = _gender_export(client)
    assert shown["female"] == "31"
    assert shown["male"] != "12" and not shown["male"].isdigit()


def test_a_replica_that_has_too_few_answers_withholds_even_if_the_primary_has_plenty(
    dashboard_app, database_binds, replica_url, fill_replica
):
    app = dashboard_app(SQLALCHEMY_BINDS={**database_binds, READ_BIND: replica_url}, **EXACT)
    make_respond(app)("about-you", {"state": "NG-LA", "gender": "female"}, times=40)
    release(app)
    fill_replica("about-you", {"state": "NG-LA", "gender": "female"}, times=3)
    client = _signed_in(app)
    text = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="withheld"' in text and 'id="figures"' not in text
    assert client.get("/dashboard/export/gender.csv").status_code == 404


def test_without_the_setting_the_dashboard_reads_the_primary(dashboard_app, fill_replica):
    app = dashboard_app(**EXACT)
    assert READ_BIND not in app.config["SQLALCHEMY_BINDS"]
    make_respond(app)("about-you", {"state": "NG-KN", "gender": "male"}, times=12)
    release(app)
    fill_replica("about-you", {"state": "NG-LA", "gender": "female"}, times=31)
    client = _signed_in(app)
    assert POPULATION.search(client.get("/dashboard/").get_data(as_text=True)).group(1) == "12"
    shown = _gender_export(client)
    assert shown["male"] == "12" and not shown["female"].isdigit()
    with app.test_request_context():
        assert reading_session() is db.session()


def test_shoppers_answers_still_go_to_the_primary(
    dashboard_app, database_binds, replica_url, fill_replica, shopper_of
):
    app = dashboard_app(SQLALCHEMY_BINDS={**database_binds, READ_BIND: replica_url})
    fill_replica("about-you", {"state": "NG-LA"}, times=5)
    assert shopper_of(app).submit("about-you", {"gender": "female"}).status_code == 303
    settle_now(app)  # the nightly settle, which writes the clear rows, writes the primary too
    assert _responses(database_binds["answers"]) == 1
    assert _responses(replica_url) == 5


def test_the_reading_session_never_writes(dashboard_app, database_binds, replica_url, fill_replica):
    app = dashboard_app(SQLALCHEMY_BINDS={**database_binds, READ_BIND: replica_url})
    fill_replica("about-you", {"state": "NG-LA"}, times=5)
    with app.test_request_context():
        session = reading_session()
        assert session is not db.session()
        assert reading_session() is session  # one per request
        assert session.get_bind(Response) is db.engines[READ_BIND]
        survey = session.scalars(select(Survey).where(Survey.slug == "about-you")).one()
        survey.title = "Changed by a report"
        with pytest.raises(ReadOnlySessionError):
            session.flush()
        session.rollback()
        with pytest.raises(ReadOnlySessionError):
            session.execute(delete(Response))
    assert _responses(replica_url) == 5
