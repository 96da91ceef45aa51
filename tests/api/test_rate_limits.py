"""Each client has its own budget, counted by client name; over it, a 429 with Retry-After."""

import secrets
from pathlib import Path

import pytest

from tests.api.conftest import REDIS_URL, ApiCaller
from tests.conftest import wait_for_a_fresh_rate_window

FEED = "/api/v1/changes"


@pytest.fixture
def limited_app(make_app):
    def build(**config):
        settings = {
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3 per minute",
            # The limiter is one object for the whole test run: keep each test's counts apart.
            "RATELIMIT_KEY_PREFIX": secrets.token_hex(6),
            **config,
        }
        app = make_app(create_schema=False, **settings)
        wait_for_a_fresh_rate_window()
        return app

    return build


def test_a_client_over_its_limit_gets_a_429_problem_with_retry_after(app, limited_app, token):
    api = ApiCaller(limited_app(), token)
    assert [api.get(FEED).status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get(FEED)
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert "3 per 1 minute" in limited.json["detail"]


def test_retry_after_comes_only_with_429_and_503(app, limited_app, token, tmp_path):
    """Flask-Limiter would add it to every limited response; a client honouring it on a 200
    or a 404 would wait for nothing."""
    api = ApiCaller(limited_app(API_RATE_LIMIT="1000 per second; 3 per minute"), token)
    ok, missing = api.get(FEED), api.get("/api/v1/profiles/nobody")
    assert (ok.status_code, missing.status_code) == (200, 404)
    assert "Retry-After" not in ok.headers and "Retry-After" not in missing.headers
    assert "X-RateLimit-Remaining" not in ok.headers  # a second storage call per request
    assert "Retry-After" not in api.get(FEED).headers
    limited = api.get(FEED)  # the limiter did count the three before it
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    binds = {"answers": f"sqlite:///{tmp_path}/a.db", "identity": f"sqlite:///{tmp_path}/x/i.db"}
    down = ApiCaller(limited_app(SQLALCHEMY_BINDS=binds, API_RATE_LIMIT="3 per hour"), token)
    # The store's 5 s, not when the client's hourly window resets.
    assert [down.get(FEED).headers["Retry-After"] for _ in range(3)] == ["5", "5", "5"]


def test_limits_are_per_client_not_per_address(app, limited_app, make_api_client):
    limited = limited_app()
    first = ApiCaller(limited, make_api_client("first").token)
    second = ApiCaller(limited, make_api_client("second").token)
    assert [first.get(FEED).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get(FEED).status_code == 200


def test_refused_tokens_spend_no_client_budget(app, limited_app, token):
    limited = limited_app()
    for _ in range(5):
        assert ApiCaller(limited, "svy_wrong").get(FEED).status_code == 401
        assert ApiCaller(limited).get("/api/openapi.json").status_code == 200
    assert ApiCaller(limited, token).get(FEED).status_code == 200


def test_two_workers_share_one_budget_through_redis(
    app, limited_app, make_api_client, shared_redis
):
    # Two workers of one deployment: the same Redis and the same key prefix (this run's own,
    # as Redis outlives the test).
    token = make_api_client("recommender").token
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": secrets.token_hex(6)}
    first = ApiCaller(limited_app(**shared), token)
    second = ApiCaller(limited_app(**shared), token)
    assert [first.get(FEED).status_code, second.get(FEED).status_code] == [200, 200]
    assert first.get(FEED).status_code == 200
    assert second.get(FEED).status_code == 429


def test_the_budget_is_kept_under_the_key_flask_limiter_used(
    app, limited_app, make_api_client, shared_redis
):
    """Workers of the old and the new version side by side (a rolling deploy) spend one
    budget: the key is <prefix>/<client name>/api, as Flask-Limiter's shared limit made it."""
    server = shared_redis
    prefix = secrets.token_hex(6)
    token = make_api_client("recommender").token
    api = ApiCaller(
        limited_app(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix), token
    )
    assert api.get(FEED).status_code == 200
    keys = sorted(key.decode() for key in server.keys(f"*{prefix}*"))
    assert keys and all(f"LIMITER/{prefix}/recommender/api/3/1/minute" in key for key in keys)


def test_as_deployed_a_request_costs_one_round_trip_to_redis(
    app, make_app, make_api_client, shared_redis
):
    """The default budget is one limit: ``limits`` runs one Redis script per limit, so a
    request as deployed (Redis, the default API_RATE_LIMIT) makes exactly one call to Redis.
    Counted by a spy on the app's own Redis client, which still does every call."""
    from surveys.config import DEFAULT_API_RATE_LIMIT, load_config

    assert load_config(Path(app.instance_path), {})["API_RATE_LIMIT"] == DEFAULT_API_RATE_LIMIT
    token = make_api_client("recommender").token
    deployed = make_app(
        create_schema=False,
        RATELIMIT_ENABLED=True,
        API_RATE_LIMIT=DEFAULT_API_RATE_LIMIT,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=secrets.token_hex(6),
    )
    redis_client = deployed.extensions["api_budgets"].storage.get_connection()
    calls: list[str] = []
    real_call = redis_client.execute_command

    def counted(*args, **options):  # type: ignore[no-untyped-def]
        calls.append(str(args[0]))
        return real_call(*args, **options)

    redis_client.execute_command = counted
    api = ApiCaller(deployed, token)
    assert [api.get(FEED).status_code for _ in range(3)] == [200, 200, 200]
    assert len(calls) == 3, calls  # one script per request, whatever its name
    # Two limits would be two calls: the spy sees what a second limit costs.
    calls.clear()
    deployed.config["API_RATE_LIMIT"] = f"1000 per second; {DEFAULT_API_RATE_LIMIT}"
    assert api.get(FEED).status_code == 200
    assert len(calls) == 2, calls
