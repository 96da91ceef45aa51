"""/privacy says what the Nigeria Data Protection Act 2023 asks, generated from the settings
the code runs on: change a setting and the notice changes; the retention it states is the
retention the deleting jobs apply."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from consent_helpers import ABOUT_YOU
from sqlalchemy import select
from test_retention import age_all_answers, count

from surveys import clock
from surveys.extensions import db
from surveys.models import ProfileRead, Response
from surveys.services import catalogue, profiles


def notice(app) -> str:  # type: ignore[no-untyped-def]
    page = app.test_client().get("/privacy")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def stated(page: str, row: str, unit: str = "day") -> int:
    """The period the notice states in its retention row ``row`` (days or hours)."""
    cells = re.search(rf'<tr id="keep-{row}">(.*?)</tr>', page, re.S)
    assert cells, f"no retention row {row!r}"
    numbers = re.findall(rf"([\d,]+) {unit}s?\b", cells.group(1))
    assert len(numbers) == 1, cells.group(1)
    return int(numbers[0].replace(",", ""))


def with_surveys(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        catalogue.load_defaults(db.session)
        db.session.commit()
    return app


def test_the_notice_names_controller_contact_basis_rights_and_the_regulator(make_app):
    page = notice(
        make_app(CONSENT_CONTROLLER="Kasuwa Stores Ltd", CONSENT_CONTROLLER_CONTACT="dpo@kasuwa.ng")
    )
    assert "Nigeria Data Protection Act 2023" in page
    assert '<strong id="controller-name">Kasuwa Stores Ltd</strong>' in page
    assert '<a href="mailto:dpo@kasuwa.ng">dpo@kasuwa.ng</a>' in page
    basis = page.split('id="basis"')[1].split("<h2")[0]
    assert "consent" in basis
    rights = page.split('id="rights"')[1]
    for right in ("(access)", "Correct it", "(erasure)", "(portability)", "Withdraw your consent"):
        assert right in rights, right
    assert "Nigeria Data Protection Commission" in rights and "ndpc.gov.ng" in rights


def test_changing_the_settings_changes_the_notice(make_app):
    default = notice(make_app())
    assert "The shop" in default and stated(default, "answers") == 730
    changed = notice(
        make_app(
            CONSENT_CONTROLLER="Oja Online",
            CONSENT_CONTROLLER_CONTACT="Privacy desk, 12 Broad Street, Lagos",
            ANSWER_RETENTION_DAYS=365,
            BACKUP_RETENTION_DAYS=14,
            NOT_NOW_DAYS=7,
            RESPONDENT_COOKIE_DAYS=90,
            SHOPPER_SESSION_HOURS=1,
            PROFILE_READ_RETENTION_DAYS=60,
        )
    )
    assert "Oja Online" in changed and "The shop" not in changed
    assert "Privacy desk, 12 Broad Street, Lagos" in changed
    assert stated(changed, "answers") == 365
    assert stated(changed, "deleted") == 14
    assert stated(changed, "not-now") == 7
    assert stated(changed, "cookie") == 90
    assert stated(changed, "session", unit="hour") == 1
    assert stated(changed, "reads") == 60


def test_without_a_contact_setting_the_notice_still_says_how_to_reach_the_controller(make_app):
    page = notice(make_app(CONSENT_CONTROLLER="Oja Online", CONSENT_CONTROLLER_CONTACT=""))
    assert "contact Oja Online's customer service" in page


@pytest.mark.parametrize("days", [30, 400])
def test_answers_are_kept_exactly_as_long_as_the_notice_says(make_app, shopper_of, days):
    app = with_surveys(make_app(ANSWER_RETENTION_DAYS=days))
    promised = stated(notice(app), "answers")
    shopper_of(app).submit("about-you", ABOUT_YOU)
    age_all_answers(app, promised)  # on the last day the notice promises: kept
    assert app.test_cli_runner().invoke(args=["answers", "settle"]).exit_code == 0
    assert count(app, Response) == 1
    age_all_answers(app, promised + 1)  # one day past it: gone
    app.test_cli_runner().invoke(args=["answers", "settle"])
    assert count(app, Response) == 0


def test_reads_are_listed_exactly_as_long_as_the_notice_says(make_app):
    app = make_app(PROFILE_READ_RETENTION_DAYS=45)
    promised = stated(notice(app), "reads")
    now = clock.now()
    with app.app_context():
        for age in (promised - 1, promised + 1):
            profiles.record_read(db.session, "cust-1", "reco", ["state"], now - timedelta(days=age))
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["retention", "purge"]).exit_code == 0
    with app.app_context():
        (kept,) = db.session.scalars(select(ProfileRead.read_at)).all()
    assert now - kept < timedelta(days=promised)


def test_the_not_now_period_stated_is_the_one_a_dismissal_gets(make_app, shopper_of):
    app = with_surveys(make_app(NOT_NOW_DAYS=9))
    promised = stated(notice(app), "not-now")
    shopper = shopper_of(app)
    shopper.not_now("about-you")
    page = shopper.client.get("/surveys/about-you/not-now").get_data(as_text=True)
    assert f"{promised} days" in page


def test_the_smallest_number_the_dashboard_shows_is_the_configured_one(make_app):
    assert "fewer than 10”" in notice(make_app())
    page = notice(make_app(DASHBOARD_MIN_CELL=25))
    assert "fewer than 25”" in page and "fewer than 10" not in page
