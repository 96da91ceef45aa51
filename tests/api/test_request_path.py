"""The lean request path of the API keeps every promise of the full one.

A worker holds its API connections from one request to the next, API requests pass by the
other audiences' hooks (Flask-Limiter, Flask-Login) and get no cookie session: none of that
may let a revoked token, a withdrawn consent or a spent budget through on the next request.
"""

import secrets
import threading

from flask import session
from flask.sessions import NullSession
from sqlalchemy import event

from surveys import extensions
from surveys.api import app_hooks, connections
from surveys.extensions import limiter, login
from tests.api.conftest import REDIS_URL, ApiCaller

PROFILE = "/api/v1/profiles/{}"


def _checkouts(app, bind: str) -> list[object]:
    """Every connection the API's pool of ``bind`` hands out from now on."""
    taken: list[object] = []
    with app.app_context():
        pool = connections._engine(app, bind).pool  # noqa: SLF001
    event.listen(pool, "checkout", lambda dbapi, record, proxy: taken.append(dbapi))
    return taken


def test_a_worker_keeps_its_api_connections_from_one_read_to_the_next(app, api, consenting):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    identity, answers = _checkouts(app, "identity"), _checkouts(app, "answers")
    assert [api.get(PROFILE.format("cust-1")).status_code for _ in range(5)] == [200] * 5
    assert identity == [] and answers == []  # no round through the pool per request


def test_a_revoked_token_is_refused_by_the_next_profile_read_on_a_kept_connection(
    app, api, runner, consenting
):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    assert runner.invoke(args=["clients", "revoke", "recommender"]).exit_code == 0
    refused = api.get(PROFILE.format("cust-1"))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_a_withdrawal_is_seen_by_the_next_read_on_a_kept_connection(api, consenting):
    customer = consenting("cust-1", ["state"])
    for _ in range(3):
        assert api.get(PROFILE.format("cust-1")).status_code == 200
    customer.withdraw("keep")
    assert api.get(PROFILE.format("cust-1")).status_code == 404


def test_a_connection_left_idle_for_long_is_tested_before_it_is_used_again(
    app, api, consenting, monkeypatch
):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    pings: list[str] = []
    with app.app_context():
        engine = connections._engine(app, "identity")  # noqa: SLF001

    def note_ping(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement == "SELECT 1":
            pings.append(statement)

    event.listen(engine, "before_cursor_execute", note_ping)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert api.get(PROFILE.format("cust-1")).status_code == 200
    assert pings == ["SELECT 1"]


def test_api_requests_pass_by_flask_limiter_and_flask_login(make_app):
    """Their app-wide hooks are all wrapped (whatever order create_app attaches things in)."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=secrets.token_hex(6))
    hooks = [
        *app.before_request_funcs[None],
        *app.after_request_funcs[None],
        *app.teardown_request_funcs[None],
    ]
    theirs = [hook for hook in hooks if getattr(hook, "skips_blueprint", None)]
    assert len(theirs) >= 4  # Flask-Limiter's before, after and teardown; Flask-Login's after
    unwrapped = [
        hook
        for hook in hooks
        if app_hooks._owner(hook) in (limiter, login)  # noqa: SLF001
    ]
    assert unwrapped == []
    assert {hook.skips_blueprint for hook in theirs} == {"api"}


def test_an_api_request_opens_no_cookie_session_even_when_sent_one(app, api):
    with app.test_request_context(PROFILE.format("cust-1")):
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
    with app.test_request_context("/"):
        assert not isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
    api.client.set_cookie("session", "anything")
    response = api.get("/api/v1/changes")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_the_budget_is_still_shared_by_two_instances_through_redis(
    app, make_app, make_api_client, consenting, shared_redis
):
    """Two instances (two apps, each with its own held connections and counter) spend one
    budget in one Redis, on the single read's path."""
    from tests.conftest import wait_for_a_fresh_rate_window

    consenting("cust-1", ["state"])
    token = make_api_client("recommender").token
    shared = {
        "RATELIMIT_ENABLED": True,
        "API_RATE_LIMIT": "3 per minute",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": secrets.token_hex(6),
        "LINK_ENCRYPTION_KEY": app.config["LINK_ENCRYPTION_KEY"],
    }
    first = ApiCaller(make_app(create_schema=False, **shared), token)
    second = ApiCaller(make_app(create_schema=False, **shared), token)
    wait_for_a_fresh_rate_window()
    statuses = [
        first.get(PROFILE.format("cust-1")).status_code,
        second.get(PROFILE.format("cust-1")).status_code,
        first.get(PROFILE.format("cust-1")).status_code,
        second.get(PROFILE.format("cust-1")).status_code,
    ]
    assert statuses == [200, 200, 200, 429]


def _read_in_a_thread_of_its_own(api, subject: str) -> None:
    """One read from a thread that then ends, as the development server serves each request."""
    codes: list[int] = []
    worker = threading.Thread(
        target=lambda: codes.append(api.get(PROFILE.format(subject)).status_code)
    )
    worker.start()
    worker.join()
    assert codes == [200]


def test_connections_of_a_thread_that_ended_are_closed_not_left_to_the_garbage_collector(
    app, api, consenting
):
    """Found by CI: a kept connection of a finished thread was deleted while open (psycopg's
    ResourceWarning) at some later test; a new thread now closes those of ended ones."""
    consenting("cust-1", ["state"])
    _read_in_a_thread_of_its_own(api, "cust-1")
    [(ref, held)] = app.extensions[connections._HELD]._by_thread.values()  # noqa: SLF001
    kept = [connection for connection, _ in held.values()]
    assert len(kept) == 2 and not any(connection.closed for connection in kept)
    _read_in_a_thread_of_its_own(api, "cust-1")
    assert all(connection.closed for connection in kept)
    assert len(app.extensions[connections._HELD]._by_thread) == 1  # noqa: SLF001


def test_disposing_closes_every_threads_kept_connections(app, api, consenting):
    consenting("cust-1", ["state"])
    assert api.get(PROFILE.format("cust-1")).status_code == 200  # this thread's
    _read_in_a_thread_of_its_own(api, "cust-1")  # another's
    registry = app.extensions[connections._HELD]  # noqa: SLF001
    kept = [c for _, held in registry._by_thread.values() for c, _ in held.values()]  # noqa: SLF001
    assert len(kept) == 4
    connections.dispose_engines(app)
    assert all(connection.closed for connection in kept)
