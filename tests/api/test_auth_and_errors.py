"""Every call needs a valid bearer token with the right scope; every error is a problem+json."""

import pytest

from surveys.models.api import CHANGES_READ, PROFILES_READ
from tests.api.conftest import ApiCaller

PROBLEM = "application/problem+json"
FEED = "/api/v1/changes"


def _is_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body


def test_no_token_gets_401_with_a_bearer_challenge(app):
    response = ApiCaller(app).get(FEED)
    _is_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="surveys"'


@pytest.mark.parametrize(
    "authorization",
    ["Basic cmVjb21tZW5kZXI6cGFzc3dvcmQ=", "Bearer", "Bearer ", "Token abc", "bearer"],
)
def test_a_malformed_authorization_header_gets_401(app, authorization):
    response = ApiCaller(app).get(FEED, headers={"Authorization": authorization})
    _is_problem(response, 401)


def test_a_wrong_token_gets_401_invalid_token(app, token):
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "svy_" + "x" * 43, "x" * 500):
        response = ApiCaller(app, wrong).get(FEED)
        body = _is_problem(response, 401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        assert "unknown or was revoked" in body["detail"]


def test_the_scheme_name_is_case_insensitive(app, token):
    response = ApiCaller(app).get(FEED, headers={"Authorization": f"bEaReR {token}"})
    assert response.status_code == 200


def test_a_revoked_token_gets_401_from_the_next_request(app, api, runner):
    assert api.get(FEED).status_code == 200
    assert runner.invoke(args=["clients", "revoke", "recommender"]).exit_code == 0
    response = api.get(FEED)
    _is_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_without_the_scope_gets_403(app, make_api_client):
    reader = make_api_client("profile-reader", scopes=(PROFILES_READ,))
    response = ApiCaller(app, reader.token).get(FEED)
    body = _is_problem(response, 403)
    assert CHANGES_READ in body["detail"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="surveys", error="insufficient_scope", scope="changes:read"'
    )


def test_the_openapi_document_needs_no_token(app):
    response = ApiCaller(app).get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json["openapi"].startswith("3.1")


def test_an_unknown_address_under_api_is_a_404_problem(app, api):
    for path in ("/api/v1/nothing", "/api/v2/changes", "/api", "/api/"):
        _is_problem(api.get(path, validate=False), 404)


def test_a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones(app, api):
    response = api.client.delete(FEED, headers={"Authorization": f"Bearer {api.token}"})
    _is_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_an_unexpected_error_inside_the_api_is_a_500_problem_without_details(make_app, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/api/v1/explode")
    def explode():
        raise RuntimeError("secret detail that must not leak")

    response = app.test_client().get("/api/v1/explode")
    body = _is_problem(response, 500)
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Nothing was changed" in body["detail"]
    assert "secret detail" not in caplog.text


def test_an_unreachable_store_is_a_503_problem_with_retry_after(make_app, tmp_path):
    binds = {
        "answers": f"sqlite:///{tmp_path}/answers.db",
        "identity": f"sqlite:///{tmp_path}/no/such/dir/identity.db",
    }
    app = make_app(create_schema=False, SQLALCHEMY_BINDS=binds)
    response = ApiCaller(app, "svy_" + "x" * 43).get(FEED)
    body = _is_problem(response, 503)
    assert response.headers["Retry-After"] == "5"
    assert "sqlite" not in body["detail"]


def test_api_responses_are_never_cached(app, api):
    assert api.get(FEED).headers["Cache-Control"] == "no-store"
    assert ApiCaller(app).get(FEED).headers["Cache-Control"] == "no-store"


def test_pages_outside_the_api_still_get_html_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(app, api):
    response = api.get(FEED)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
