"""Who can reach the staff pages: the whole route x role matrix, sign-in and its cookie."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from dashboard_helpers import PASSWORD, csrf_token, sign_in
from sqlalchemy import select, update

from surveys import clock
from surveys.extensions import db
from surveys.models import StaffSession
from tests.conftest import wait_for_a_fresh_rate_window

#: Every staff route, with what each kind of visitor gets. "login" is a redirect to sign-in.
MATRIX = {
    ("GET", "/dashboard/"): {"shopper": "login", "api": "login", "analyst": 200, "admin": 200},
    ("GET", "/dashboard/export/age_band.csv"): {
        "shopper": 401, "api": 401, "analyst": 404, "admin": 404,
    },
    ("GET", "/dashboard/staff"): {"shopper": "login", "api": "login", "analyst": 403, "admin": 200},
    ("POST", "/dashboard/logout"): {"shopper": 400, "api": 400, "analyst": 400, "admin": 400},
    ("GET", "/dashboard/login"): {"shopper": 200, "api": 200, "analyst": 302, "admin": 302},
}  # fmt: skip
# The export is 404 for staff here only because the survey has no answers yet: its counts
# are withheld. test_exports_are_protected_numbers covers a filled one.


def test_the_matrix_covers_every_staff_route(app):
    routes = {
        (method, rule.rule.replace("<key>", "age_band"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("dashboard.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    routes.discard(("POST", "/dashboard/login"))  # the sign-in form itself, tested below
    assert routes == set(MATRIX)


@pytest.fixture
def visitors(app, shopper, staff_client):
    shopper.submit("about-you", {"gender": "female"})  # a real shopper, with their cookie
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = "Bearer some-api-client-token"
    return {
        "shopper": shopper.client,
        "api": api,
        "analyst": staff_client("analyst"),
        "admin": staff_client("admin"),
    }


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_route_by_role(visitors, method, path):
    for role, expected in MATRIX[(method, path)].items():
        response = visitors[role].open(path, method=method)
        if expected == "login":
            assert response.status_code == 302, role
            assert response.headers["Location"] == "/dashboard/login", role
        else:
            assert response.status_code == expected, (role, response.status_code)


def test_no_staff_page_reads_an_individual_response(app, visitors):
    """There is no route by response id; guessing one finds nothing."""
    admin = visitors["admin"]
    for path in ("/dashboard/responses", "/dashboard/responses/1", "/dashboard/response.csv"):
        assert admin.get(path).status_code == 404


def _session_cookie(app, client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_session_cookie_holds_a_random_token_never_the_staff_id(app, make_staff):
    email = make_staff("analyst")
    client = app.test_client()
    sign_in(client, email)
    contents = _session_cookie(app, client)
    assert set(contents) <= {"_user_id", "_fresh", "csrf_token"}
    token = contents["_user_id"]
    with app.app_context():
        row = db.session.scalars(select(StaffSession)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token != str(row.staff_id) and str(row.staff_id) not in str(contents)
        assert email not in str(contents)


def test_the_session_id_changes_at_every_sign_in(app, make_staff):
    email = make_staff("analyst")
    client = app.test_client()
    client.get("/dashboard/login")
    before = _session_cookie(app, client)
    sign_in(client, email)
    first = _session_cookie(app, client)
    assert first.get("csrf_token") != before["csrf_token"]  # the old form token is gone
    other = app.test_client()
    sign_in(other, email)
    assert _session_cookie(app, other)["_user_id"] != first["_user_id"]


def test_signing_out_ends_the_session_on_the_server(app, make_staff):
    client = app.test_client()
    sign_in(client, make_staff("analyst"))
    stolen = client.get_cookie("session").value
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert (
        client.post("/dashboard/logout", data={"csrf_token": csrf_token(page)}).status_code == 303
    )
    with app.app_context():
        assert db.session.scalars(select(StaffSession)).all() == []
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/dashboard/").status_code == 302


def test_an_expired_session_signs_the_staff_member_out(app, make_staff):
    client = app.test_client()
    sign_in(client, make_staff("analyst"))
    with app.app_context():
        db.session.execute(
            update(StaffSession).values(expires_at=clock.now() - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_a_wrong_password_is_refused_with_a_plain_message(app, make_staff):
    email = make_staff("admin")
    client = app.test_client()
    response = sign_in(client, email, "not the password at all")
    assert response.status_code == 401
    assert "do not match a staff account" in response.get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.com", PASSWORD)
    assert unknown.status_code == 401
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_needs_the_form_csrf_token(app, make_staff):
    email = make_staff("admin")
    client = app.test_client()
    client.get("/dashboard/login")
    response = client.post("/dashboard/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_is_rate_limited(make_app, database_binds):
    from dashboard_helpers import make_staff_in

    app = make_app(RATELIMIT_ENABLED=True)
    email = make_staff_in(app, "analyst")
    client = app.test_client()
    wait_for_a_fresh_rate_window()
    statuses = [sign_in(client, email, "wrong password, again").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # Even the right password waits out the window.
    assert sign_in(client, email).status_code == 429


def test_staff_pages_send_a_strict_content_security_policy(analyst):
    response = analyst.get("/dashboard/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-eval" not in policy and "http" not in policy
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["Cache-Control"] == "no-store"


def test_failed_sign_ins_leave_no_email_or_password_in_the_logs(app, make_staff, caplog):
    email = make_staff("analyst")
    with caplog.at_level("DEBUG"):
        sign_in(app.test_client(), email, "the wrong secret phrase")
        sign_in(app.test_client(), email)
    text = caplog.text
    assert email not in text and "the wrong secret phrase" not in text and PASSWORD not in text
