"""A store that stops answering mid-session gives a clean 503, even where the page itself
(the signed-in staff member, the error template) would need that store."""

from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from surveys.extensions import db
from tests.conftest import TEST_DATABASE_URL


@contextmanager
def store_down(app, bind):
    """Make ``bind`` refuse every connection, as a crashed or restarting server does."""
    url = make_url(app.config["SQLALCHEMY_BINDS"][bind])
    if url.get_backend_name() == "sqlite":
        with app.app_context():
            db.drop_all(bind_key=bind)  # SQLite's "no such table" is an OperationalError too
        yield
        return
    admin = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    name = url.database
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as admin_db:
        admin_db.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin_db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            yield
        finally:
            admin_db.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def test_the_dashboard_says_503_with_retry_after_when_the_identity_store_is_gone(app, analyst):
    assert analyst.get("/dashboard/").status_code == 200
    with store_down(app, "identity"):
        page = analyst.get("/dashboard/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    text = page.get_data(as_text=True)
    assert "We are busy for a moment" in text and "Traceback" not in text


def test_a_shopper_gets_503_when_the_answers_store_is_gone(app, client):
    assert client.get("/surveys/about-you").status_code == 200
    with store_down(app, "answers"):
        page = client.get("/surveys/about-you")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
