"""Every form a person posts works over HTTPS in production: answering, "Not now", a signed-in
shopper consenting and withdrawing, staff signing in. Once, every one of them failed there
("This form has expired") while the suite, all plain HTTP, stayed green.

Each test runs against gunicorn ending TLS itself and behind a TLS-ending proxy (conftest.py).
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from surveys.services import shop_tokens
from tests.browser.production.conftest import CLIENT_ADDRESS, STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.production.pages import (
    ConsentOffer,
    MyDataPage,
    ShopHandOff,
    StaffSignIn,
    SurveyPage,
)

pytestmark = pytest.mark.browser


def _cookies(page) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def test_a_shopper_answers_a_survey_over_https(https_page, site):
    survey = SurveyPage(https_page).open()
    survey.choose_state_and_lga("Lagos", "Ikeja")
    survey.choose("25–34")
    survey.choose("Female")
    survey.send()
    assert survey.heading() == "Thank you"
    assert "Ikeja" in survey.main_text() and "Female" in survey.main_text()
    cookies = _cookies(https_page)
    assert cookies["respondent"]["secure"] and cookies["respondent"]["httpOnly"]
    assert cookies["session"]["secure"]
    assert https_page.problems == []


def test_not_now_works_over_https(https_page, site):
    survey = SurveyPage(https_page).open()
    survey.not_now()
    assert survey.heading() == "No problem"
    assert https_page.problems == []


def test_a_signed_in_shopper_consents_and_withdraws_over_https(https_page, site):
    subject = f"customer-{uuid.uuid4().hex[:10]}"
    site.secrets_seen.append(subject)
    token = shop_tokens.sign(
        site.env["SHOP_SIGNING_KEY"], subject, uuid.uuid4().hex, datetime.now(UTC)
    )
    ShopHandOff(https_page).arrive(token, "/surveys/about-you")
    assert _cookies(https_page)["signin"]["secure"]
    survey = SurveyPage(https_page).open()
    survey.choose_state_and_lga("Kano", "Dala")
    survey.choose("35–44")
    survey.send()
    ConsentOffer(https_page).accept("State", "Age band")
    me = MyDataPage(https_page)
    assert "the shop may use: State and Age band" in me.text()
    me.withdraw_keeping_answers()
    assert "Withdrawn. The link is gone" in me.text()
    assert "Nothing is linked to your shop account" in me.text()
    assert https_page.problems == []


def test_staff_sign_in_to_the_dashboard_over_https(https_page, site):
    staff = StaffSignIn(https_page)
    staff.sign_in(STAFF_EMAIL, STAFF_PASSWORD)
    expect(staff.sign_out_link()).to_be_visible()  # the dashboard, once it is drawn
    assert "/dashboard" in https_page.url and "Staff sign-in" not in https_page.content()


def test_pages_are_served_with_hsts_and_a_head_is_a_200(site):
    status, headers, _ = site.request("GET", "/surveys/about-you")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Referrer-Policy"] == "same-origin"
    status, _, body = site.request("HEAD", "/surveys/about-you")
    assert status == 200 and body == b""


def _send_raw(site, data: bytes, tls: bool) -> None:  # type: ignore[no-untyped-def]
    """Straight to gunicorn (behind the proxy too), as a scanner or a broken client would."""
    host, port = site.env["BIND"].split(":")
    with contextlib.ExitStack() as stack:
        connection = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
        if tls:
            connection = stack.enter_context(
                site.tls().wrap_socket(connection, server_hostname=host)
            )
        connection.sendall(data)
        with contextlib.suppress(OSError):
            connection.recv(1024)


def test_gunicorn_refuses_bad_requests_without_logging_who_sent_them_or_what(site):
    leak = f"cust-{uuid.uuid4().hex[:8]}"
    site.secrets_seen.append(leak)
    gunicorn_tls = site.name == "gunicorn-tls"
    request_line = f"GET /me?customer={leak}\r\n\r\n".encode()  # no HTTP version
    _send_raw(site, request_line, tls=gunicorn_tls)
    if gunicorn_tls:
        _send_raw(site, f"GET /{leak} HTTP/1.1\r\n\r\n".encode(), tls=False)  # not TLS
    deadline = time.monotonic() + 10
    while site.log.read_text().count("Invalid request refused") < 1 + gunicorn_tls:
        assert time.monotonic() < deadline, site.log.read_text()[-2000:]
        time.sleep(0.1)
    log = site.log.read_text()
    assert "ip=" not in log and leak not in log


def test_the_production_logs_name_nobody(site):
    """Run last in this module: everything the tests above saw must be absent from the log."""
    log = site.log.read_text()
    assert '"path": "/surveys/<slug>"' in log  # the app's access log is there
    assert '"status": 500' not in log and "Traceback" not in log
    forbidden = [*site.secrets_seen, CLIENT_ADDRESS, site.env["SECRET_KEY"]]
    forbidden += [site.env["SHOP_SIGNING_KEY"], "Ikeja", "NG-LA-"]
    for value in forbidden:
        assert value not in log, f"{value!r} reached the {site.name} log"
