"""Times people read are in Nigerian time with the zone named; what is kept and exported
stays in UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from consent_helpers import ABOUT_YOU

from surveys import clock
from surveys.extensions import db
from surveys.services import profiles


def test_a_time_is_shown_one_hour_ahead_of_utc_with_wat_named():
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    assert clock.shown(moment) == "3 December 2026 at 14:05 WAT"
    assert clock.shown(moment, "short") == "2026-12-03 14:05 WAT"


def test_late_evening_utc_is_already_tomorrow_in_lagos():
    assert clock.shown(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "short") == (
        "2027-01-01 00:30 WAT"
    )


def test_a_time_without_a_zone_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.shown(datetime(2026, 12, 3, 13, 5))  # noqa: DTZ001


def test_my_page_shows_consent_and_reads_in_wat_and_the_downloads_keep_utc(app, customer, store):
    customer.sign_in("cust-401")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    with app.app_context():
        profiles.record_read(db.session, "cust-401", "recommendations", ["state"], clock.now())
        db.session.commit()
    (record,) = store.records()
    lagos = record.given_at.astimezone(UTC) + timedelta(hours=1)
    me = customer.me()
    assert f"{lagos:%-d %B %Y at %H:%M} WAT" in me  # "You agreed on …"
    assert f"{lagos:%Y-%m-%d %H:%M} WAT" in me  # the history table
    assert "UTC" not in me

    receipt = json.loads(customer.client.get(f"/me/receipts/{record.receipt_id}.json").data)
    assert receipt["consentTimestampISO"].endswith("+00:00")
    assert datetime.fromisoformat(receipt["consentTimestampISO"]) == record.given_at
    export = json.loads(customer.client.get("/me/export.json").data)
    assert export["exported_at"].endswith("+00:00")
    assert export["personalisation"]["since"].endswith("+00:00")
    assert all(read["read_at"].endswith("+00:00") for read in export["profile_reads"])
