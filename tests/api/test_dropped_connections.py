"""When PostgreSQL drops the pool's connections (a restart, a failover, an idle timeout), the
API recovers by itself: a connection that sat idle is tested and replaced before use, and one
that was cut mid-flight costs one clean 503, never a stack trace or a wrong answer."""

import secrets

import psycopg
import pytest
from sqlalchemy.engine import make_url

from surveys import extensions
from surveys.api import connections
from tests.api.conftest import ApiCaller
from tests.conftest import TEST_DATABASE_URL

PROFILE = "/api/v1/profiles/{}"


@pytest.fixture
def drop_connections(app):
    if make_url(app.config["SQLALCHEMY_BINDS"]["identity"]).get_backend_name() != "postgresql":
        pytest.skip("SQLite has no server to drop connections")
    admin = make_url(TEST_DATABASE_URL).set(drivername="postgresql")

    def drop() -> int:
        names = [make_url(url).database for url in app.config["SQLALCHEMY_BINDS"].values()]
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as pg:
            dropped = pg.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (names,),
            ).fetchone()
        return int(dropped[0]) if dropped else 0

    return drop


def hold_two_idle_connections(app) -> None:
    """Fill each API pool with two idle connections, as a threaded worker's would be."""
    with app.app_context():
        for bind in ("identity", "answers"):
            engine = connections._engine(app, bind)  # noqa: SLF001
            first, second = engine.connect(), engine.connect()
            first.close()
            second.close()


def test_idle_connections_cut_by_the_server_are_replaced_before_anyone_notices(
    app, api, consenting, drop_connections, monkeypatch
):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    hold_two_idle_connections(app)
    assert drop_connections() >= 4  # every pooled connection of both stores is gone
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)  # "idle for long"
    statuses = [api.get(PROFILE.format("cust-1")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


def test_a_connection_cut_while_busy_costs_one_503_per_store_then_reads_resume(
    api, consenting, drop_connections
):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    assert drop_connections() >= 2
    responses = [api.get(PROFILE.format("cust-1")) for _ in range(4)]
    failed = [r for r in responses if r.status_code != 200]
    assert 1 <= len(failed) <= 2  # at most one per store
    for response in failed:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.mimetype == "application/problem+json"
    assert [r.status_code for r in responses[len(failed) :]] == [200] * (4 - len(failed))


def test_with_rate_limits_on_a_connection_cut_while_busy_is_still_a_503_not_a_500(
    app, make_app, token, consenting, drop_connections
):
    """The limiter looks the caller up first (its budget is per client): the store failing
    there must give the same 503, not a PendingRollbackError when the request reuses the
    broken connection (found by bench/load.py)."""
    consenting("cust-1", ["state"])
    limited = make_app(
        create_schema=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX=secrets.token_hex(6),
        LINK_ENCRYPTION_KEY=app.config["LINK_ENCRYPTION_KEY"],
    )
    api = ApiCaller(limited, token)
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    assert drop_connections() >= 2
    responses = [api.get(PROFILE.format("cust-1")) for _ in range(4)]
    failed = [r for r in responses if r.status_code != 200]
    assert 1 <= len(failed) <= 2
    for response in failed:
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert responses[-1].status_code == 200
