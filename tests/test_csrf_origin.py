"""Form posts must carry a valid token AND come from this site's own pages.

Over HTTPS, browsers under our ``Referrer-Policy: same-origin`` send ``Origin`` (and a
same-site ``Referer``) with a form post; a post from another site carries that site's
``Origin``, or ``null``. Flask-WTF's strict mode asked for a Referer instead, which the old
``no-referrer`` policy made browsers leave out: every form failed over HTTPS. The browser
tests in tests/browser/production/ drive the real thing; these pin down each rule.
"""

from __future__ import annotations

import pytest

from tests.conftest import Shopper, csrf_token

HTTPS = "https://surveys.example.ng"


def _post_over_https(app, headers: dict[str, str], base: str = HTTPS, **environ):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/surveys/about-you", base_url=base, environ_base=environ)
    assert page.status_code == 200
    return client.post(
        "/surveys/about-you",
        base_url=base,
        data={"csrf_token": csrf_token(page), "gender": "female"},
        headers=headers,
        environ_base=environ,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": HTTPS},  # every current browser
        {"Origin": HTTPS, "Referer": f"{HTTPS}/surveys/about-you"},
        {"Origin": "https://SURVEYS.example.ng:443"},  # the same origin, spelled otherwise
        {"Referer": f"{HTTPS}/surveys/about-you?x=1"},  # a browser that predates Origin
    ],
    ids=["origin", "origin-and-referer", "origin-spelled-otherwise", "referer-only"],
)
def test_a_form_posted_from_our_own_page_over_https_is_accepted(app, stored_responses, headers):
    response = _post_over_https(app, headers)
    assert response.status_code == 303
    assert [row.gender for row in stored_responses()] == ["female"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # sandboxed frame, or a post from a page with no-referrer
        {"Origin": "http://surveys.example.ng"},  # the HTTP site: an attacker on the network
        {"Origin": "https://surveys.example.ng:8443"},
        {"Origin": "https://evil.example", "Referer": f"{HTTPS}/surveys/about-you"},
        {"Referer": "https://evil.example/form"},
        {"Origin": "garbage:::"},
        {},  # neither: refused over HTTPS, as Flask-WTF's strict mode did
    ],
    ids=[
        "other-site",
        "null",
        "plain-http",
        "other-port",
        "origin-wins",
        "other-referer",
        "garbage",
        "neither",
    ],
)
def test_a_form_post_from_anywhere_else_is_refused_and_stores_nothing(
    app, stored_responses, headers
):
    response = _post_over_https(app, headers)
    assert response.status_code == 400
    assert "not sent from our site" in response.get_data(as_text=True)
    assert stored_responses() == []


def test_the_token_is_still_checked_first(app, stored_responses):
    client = app.test_client()
    response = client.post(
        "/surveys/about-you",
        base_url=HTTPS,
        data={"csrf_token": "forged", "gender": "female"},
        headers={"Origin": HTTPS},
    )
    assert response.status_code == 400 and "This form has expired" in response.get_data(True)
    assert stored_responses() == []


def test_over_plain_http_a_post_without_origin_or_referer_passes_on_its_token(shopper):
    """Development and the test client: no header to ask for; the token alone decides."""
    assert shopper.submit("about-you", {"gender": "male"}).status_code == 303
    page = shopper.open("about-you")
    refused = shopper.client.post(
        "/surveys/about-you",
        data={"csrf_token": csrf_token(page), "gender": "male"},
        headers={"Origin": "http://evil.example"},
    )
    assert refused.status_code == 400  # a wrong Origin is refused on HTTP as well


def test_every_protected_form_is_origin_checked(app):
    shopper = Shopper(app.test_client())
    token = csrf_token(shopper.client.get("/surveys/about-you", base_url=HTTPS))
    for path in ("/surveys/about-you/not-now", "/surveys/about-you/delete", "/me/delete"):
        response = shopper.client.post(
            path,
            base_url=HTTPS,
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 400, path
        assert "not sent from our site" in response.get_data(as_text=True), path


def test_the_shops_sign_in_hand_off_is_exempt_it_comes_from_the_shops_site(app):
    response = app.test_client().post(
        "/auth/shop", base_url=HTTPS, data={"token": "a.b.c"}, headers={"Origin": "https://shop"}
    )
    assert response.status_code == 400
    assert "incomplete" in response.get_data(as_text=True)  # refused for its token, not origin


def test_pages_send_referrer_policy_same_origin(client):
    assert client.get("/surveys/about-you").headers["Referrer-Policy"] == "same-origin"


def test_behind_a_trusted_proxy_the_public_scheme_and_host_are_the_origin(make_app):
    from surveys.extensions import db
    from surveys.services import catalogue

    app = make_app(TRUSTED_PROXIES=1)
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    # The proxy reached the app as http://127.0.0.1:8000 and says what the browser used.
    forwarded = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "surveys.example.ng",
        "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    }
    internal = "http://127.0.0.1:8000"
    accepted = _post_over_https(app, {"Origin": HTTPS}, base=internal, **forwarded)
    assert accepted.status_code == 303
    refused = _post_over_https(app, {"Origin": internal}, base=internal, **forwarded)
    assert refused.status_code == 400


def test_forwarded_headers_are_ignored_without_trusted_proxies(app):
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "evil.example"}
    internal = "http://127.0.0.1:8000"
    response = _post_over_https(app, {"Origin": "https://evil.example"}, base=internal, **forwarded)
    assert response.status_code == 400
