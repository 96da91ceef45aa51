"""Revision 0004_api: its tables, and lookup values for consent links made before it."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from surveys.extensions import db
from surveys.models import ConsentLink
from surveys.services.consent import cipher_for
from surveys.services.respondents import new_key, respondent_hash
from tests.consent.test_consent_migration import unmigrated_app


def test_links_made_before_the_revision_get_their_lookup_value(make_app):
    app = unmigrated_app(make_app)
    cipher = cipher_for(app.config["LINK_ENCRYPTION_KEY"])
    key = new_key()
    with app.app_context():
        upgrade(revision="0002_consent")
        with db.engines["identity"].begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO consent_links (id, subject, encrypted_key, created_at) "
                    "VALUES (:id, 'cust-old', :key, CURRENT_TIMESTAMP)"
                ),
                {"id": "0" * 32, "key": cipher.encrypt(key)},
            )
        upgrade()
        link = db.session.scalars(select(ConsentLink)).one()
        assert link.respondent_lookup == cipher.lookups(respondent_hash(key))[0]
        tables = set(inspect(db.engines["identity"]).get_table_names())
        assert {"api_clients", "profile_changes", "webhook_deliveries"} <= tables
        db.session.remove()
        downgrade(revision="0002_consent")
        tables = set(inspect(db.engines["identity"]).get_table_names())
        assert "api_clients" not in tables and "consent_links" in tables
        columns = {c["name"] for c in inspect(db.engines["identity"]).get_columns("consent_links")}
        assert "respondent_lookup" not in columns
