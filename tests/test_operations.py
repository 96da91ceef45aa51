"""What an operator relies on: probes, clean 503s, rate limits, proxies, gunicorn.

That instances share rate limits through Redis is proven across processes in
tests/scaleout/test_two_instances.py (one process shares one limiter whatever its storage).
"""

import pytest
from flask_migrate import upgrade

from surveys.extensions import db
from surveys.services import catalogue
from tests.conftest import wait_for_a_fresh_rate_window
from tests.outages import store_down


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_unavailable_until_both_stores_are_migrated(empty_app):
    app = empty_app
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["stores"] == {
        "answers": "unreachable or not migrated",
        "identity": "unreachable or not migrated",
    }
    with app.app_context():
        upgrade()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["stores"] == {"answers": "ok", "identity": "ok"}


def test_an_unreachable_store_gets_a_503_with_retry_after_not_a_stack_trace(make_app, tmp_path):
    binds = {
        "answers": f"sqlite:///{tmp_path}/no/such/dir/answers.db",
        "identity": f"sqlite:///{tmp_path}/identity.db",
    }
    app = make_app(create_schema=False, SQLALCHEMY_BINDS=binds)
    response = app.test_client().get("/surveys/about-you")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    text = response.get_data(as_text=True)
    assert "try again in a few seconds" in text and "Traceback" not in text and "sqlite" not in text


def _limited_app(make_app, **config):
    app = make_app(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="3 per minute", **config)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def test_survey_writes_are_rate_limited_with_a_clear_429_and_retry_after(make_app, shopper_of):
    shopper = shopper_of(_limited_app(make_app))
    wait_for_a_fresh_rate_window()
    statuses = [shopper.submit("about-you", {"gender": "male"}).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    limited = shopper.submit("about-you", {"gender": "male"})
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many tries" in limited.get_data(as_text=True)
    assert shopper.open("about-you").status_code == 200  # reading is never limited


def test_only_a_429_tells_a_shopper_to_retry_after(make_app, shopper_of):
    shopper = shopper_of(_limited_app(make_app))
    accepted = shopper.submit("about-you", {"gender": "male"})
    assert accepted.status_code == 303 and "Retry-After" not in accepted.headers
    assert "Retry-After" not in shopper.open("about-you").headers


def test_a_503_tells_a_shopper_the_stores_5_seconds_not_the_rate_limits_minute(
    make_app, shopper_of, csrf_from
):
    app = _limited_app(make_app)  # survey writes: 3 per minute
    shopper = shopper_of(app)
    token = csrf_from(shopper.open("about-you"))
    with store_down(app, "answers"):
        page = shopper.client.post("/surveys/about-you", data={"csrf_token": token, "gender": "x"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"


def test_head_on_a_survey_page_is_a_200_like_get_for_uptime_checkers(app, client):
    """A HEAD used to run the form-handling branch and fail its CSRF check with a 400."""
    page = client.get("/surveys/about-you")
    head = client.head("/surveys/about-you")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Type"] == page.headers["Content-Type"]
    assert client.head("/auth/logout").status_code == 200
    assert client.head("/surveys/no-such-survey").status_code == 404


def test_a_head_is_not_counted_as_the_survey_being_shown(app, client, settle):
    from sqlalchemy import select

    from surveys.models import Survey
    from surveys.services import funnel

    client.head("/surveys/about-you")
    client.get("/surveys/about-you")
    settle()  # the counts reach the clear counters at the nightly settle
    with app.app_context():
        survey = db.session.scalars(select(Survey).where(Survey.slug == "about-you")).one()
        assert funnel.totals(db.session, survey)["shown"] == 1


def test_behind_a_trusted_proxy_the_forwarded_scheme_is_honoured(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    headers = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    direct = make_app(create_schema=False).test_client()
    assert (
        "Strict-Transport-Security"
        not in direct.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers
    )


def test_gunicorn_config_keeps_addresses_and_query_strings_out_of_its_logs():
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert settings["accesslog"] is None  # the app's own JSON access log is the only one
    assert settings["workers"] >= 3 and settings["timeout"] == 30


def test_gunicorn_error_lines_keep_what_happened_but_not_who_or_which_url():
    import logging
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    scrub = settings["WithoutPeople"]()

    def line(msg, *args, exc_info=None):  # type: ignore[no-untyped-def]
        record = logging.LogRecord("gunicorn.error", logging.WARNING, "", 0, msg, args, exc_info)
        assert scrub.filter(record)
        return record.getMessage(), record.exc_info

    invalid = "Invalid request from ip=203.0.113.9: Invalid Request Line 'GET /me?c=cust-42'"
    assert line(invalid) == ("Invalid request refused (HTTP)", None)
    tls = "Invalid request from ip=203.0.113.9: [SSL: HTTP_REQUEST] http request (_ssl.c:2580)"
    assert line(tls)[0] == "Invalid request refused (TLS)"
    try:
        raise ValueError("cust-42")
    except ValueError:
        import sys

        failed = line(
            "Error handling request %s %s", "GET", "/auth/shop?token=x", exc_info=sys.exc_info()
        )
    assert failed == ("Error handling request (ValueError)", None)
    assert line("Booting worker with pid: %s", 42)[0] == "Booting worker with pid: 42"


def test_a_connection_cut_after_the_last_statement_does_not_turn_a_200_into_a_500(make_app):
    """A database restart between a request's last statement and its end: the request's
    answer stands (its work was done), the dead connection is thrown away."""
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tests.conftest import TEST_DATABASE_URL

    app = make_app(PROPAGATE_EXCEPTIONS=True)  # so an error escaping the app fails the test
    answers = app.config["SQLALCHEMY_BINDS"]["answers"]
    if make_url(answers).get_backend_name() != "postgresql":
        pytest.skip("SQLite has no server to cut a connection")

    @app.get("/read-then-lose-the-connection")
    def read_then_lose_the_connection() -> str:
        bind = {"bind": db.engines["answers"]}
        pid = db.session.execute(text("SELECT pg_backend_pid()"), bind_arguments=bind).scalar()
        admin = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
        with psycopg.connect(admin.render_as_string(False), autocommit=True) as pg:
            pg.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return "read"

    client = app.test_client()
    assert client.get("/read-then-lose-the-connection").status_code == 200
    assert client.get("/read-then-lose-the-connection").status_code == 200  # a new connection
