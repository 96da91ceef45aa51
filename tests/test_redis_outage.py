"""Redis, where rate limits are counted, goes down or hangs: the service keeps serving.

Each process then counts limits in memory (so limits still hold, per process), says so once
in the log, and goes back to Redis by itself when Redis answers again. The Redis here is the
test's own (tests/redis_server.py), stopped and frozen for real.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import UTC, datetime

import pytest

from surveys.extensions import db
from surveys.services import api_clients, catalogue
from tests.conftest import wait_for_a_fresh_rate_window
from tests.redis_server import RedisServer

FEED = "/api/v1/changes"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.fixture
def limited(make_app, redis_server):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_server.url,
        RATELIMIT_KEY_PREFIX=secrets.token_hex(6),
        SUBMIT_RATE_LIMIT="4 per minute",
        API_RATE_LIMIT="1000 per minute",
    )
    with app.app_context():
        catalogue.load_defaults(db.session)
        token = api_clients.create(db.session, "recommender", ("changes:read",), datetime.now(UTC))
        db.session.commit()
    return app, token.token


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged():
    """What a handler on the root logger receives, as a deployment's logging would. (caplog
    cannot tell: pytest attaches its handler to non-propagating loggers as well.)"""
    handler = Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(level)


def _limits_log(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "surveys.limits"]


def _until(condition, seconds: float, poke) -> None:  # type: ignore[no-untyped-def]
    """Poke the app (the limiter looks at Redis again only when a request comes) until
    ``condition`` holds. Flask-Limiter retries Redis after 1, 2, 4 ... 32 s: 40 s is ample."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the limiter did not go back to Redis"
        poke()
        time.sleep(0.2)


def test_with_redis_down_shoppers_and_the_api_are_served_and_limits_hold_per_process(
    limited, redis_server, shopper_of, caplog, logged
):
    caplog.set_level(logging.INFO)
    app, token = limited
    shopper, api = shopper_of(app), app.test_client()
    read = {"headers": {"Authorization": f"Bearer {token}"}}
    assert shopper.submit("about-you", {"gender": "male"}).status_code == 303
    assert redis_server.keys() > 0  # counted in Redis

    wait_for_a_fresh_rate_window()
    redis_server.stop()
    statuses = [shopper.submit("about-you", {"gender": "male"}).status_code for _ in range(5)]
    assert api.get(FEED, **read).status_code == 200
    # 4 a minute, counted afresh in this process: the limit still holds.
    assert statuses == [303, 303, 303, 303, 429]
    (went_down,) = _limits_log(caplog)
    assert went_down.levelname == "WARNING" and "counting limits in this process" in (
        went_down.getMessage()
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    redis_server.start()  # empty: it kept nothing
    # Both counters go back (the shopper pages' and the API's, each when a request comes):
    # "recovered" is said once, when the last of them is back.
    _until(
        lambda: "recovered" in _limits_log(caplog)[-1].getMessage(),
        40,
        lambda: (api.get(FEED, **read), shopper.open("about-you")),
    )
    assert shopper.submit("about-you", {"gender": "female"}).status_code == 303
    assert redis_server.keys() > 0, "counting did not go back to Redis"
    assert [r.levelname for r in _limits_log(caplog)] == ["WARNING", "INFO"]
    # Flask-Limiter's own lines (one named the shopper's address with the 429) go nowhere.
    assert not [r for r in logged if r.name == "flask-limiter"]
    text = "\n".join(r.getMessage() + repr(vars(r)) for r in logged)
    assert "127.0.0.1" not in text and "Traceback" not in text
    assert "rate limit storage recovered" in text


def test_a_hung_redis_costs_a_request_half_a_second_not_a_hang(limited, redis_server, caplog):
    caplog.set_level(logging.INFO)
    app, token = limited
    client = app.test_client()
    read = {"headers": {"Authorization": f"Bearer {token}"}}
    assert client.get(FEED, **read).status_code == 200
    redis_server.freeze()
    statuses: list[int] = []
    try:
        reader = threading.Thread(
            target=lambda: statuses.extend(client.get(FEED, **read).status_code for _ in range(3))
        )
        reader.start()
        # The first read waits out the 0.5 s timeout, the others count in memory. (A generous
        # bound: this checks that nothing waits on a frozen Redis for ever, not a speed.)
        reader.join(timeout=15)
        assert not reader.is_alive(), "a request hung on a frozen Redis"
    finally:
        redis_server.thaw()
    assert statuses == [200, 200, 200]
    assert "counting limits in this process" in _limits_log(caplog)[0].getMessage()
    _until(
        lambda: "recovered" in _limits_log(caplog)[-1].getMessage(),
        40,
        lambda: client.get(FEED, **read),
    )


def test_a_store_outage_is_not_taken_for_redis_going_down(make_app, redis_server, caplog, tmp_path):
    """The API's limit is keyed by the caller, looked up in the identity store: that lookup
    failing must give a 503, not switch the limiter off Redis with a misleading warning."""
    caplog.set_level(logging.INFO)
    binds = {"answers": f"sqlite:///{tmp_path}/a.db", "identity": f"sqlite:///{tmp_path}/x/i.db"}
    app = make_app(
        create_schema=False,
        SQLALCHEMY_BINDS=binds,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_server.url,
    )
    response = app.test_client().get(FEED, headers={"Authorization": "Bearer svy_x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert _limits_log(caplog) == []
