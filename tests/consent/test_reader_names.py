"""Shoppers see who read their profile by the name the operator gave it for them."""

from __future__ import annotations

import json

from consent_helpers import ABOUT_YOU

from surveys import clock
from surveys.extensions import db
from surveys.services import api_clients, profiles


def read_by(app, subject: str, client: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        profiles.record_read(db.session, subject, client, ["state"], clock.now())
        db.session.commit()


def test_my_page_names_the_reader_by_its_display_name_not_its_internal_name(app, customer, runner):
    made = runner.invoke(
        args=["clients", "create", "reco", "--display-name", "Product recommendations"]
    )
    assert made.exit_code == 0, made.output
    customer.sign_in("cust-501")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    read_by(app, "cust-501", "reco")
    me = customer.me()
    assert "<td>Product recommendations</td>" in me
    assert "<td>reco</td>" not in me
    export = json.loads(customer.client.get("/me/export.json").data)
    (read,) = export["profile_reads"]
    assert read["client"] == "reco" and read["client_display_name"] == "Product recommendations"


def test_a_revoked_client_keeps_its_display_name_in_past_reads(app, customer):
    with app.app_context():
        api_clients.create(
            db.session, "ads", ["profiles:read"], clock.now(), display_name="Offers by email"
        )
        api_clients.revoke(db.session, "ads", clock.now())
        db.session.commit()
    customer.sign_in("cust-502")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    read_by(app, "cust-502", "ads")
    assert "<td>Offers by email</td>" in customer.me()


def test_a_read_by_a_client_no_longer_known_shows_the_name_it_was_logged_with(app, customer):
    customer.sign_in("cust-503")
    customer.submit("about-you", ABOUT_YOU)
    customer.consent(["state"])
    read_by(app, "cust-503", "old-reporting")
    assert "<td>old-reporting</td>" in customer.me()
