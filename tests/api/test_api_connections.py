"""The API's own autocommit connections reach the very databases the rest of the app uses."""

from datetime import UTC, datetime

PROFILE = "/api/v1/profiles/{}"


def test_with_stores_in_memory_the_api_reads_the_same_databases_as_the_app(make_app):
    """SQLite in memory exists once per engine: the API must share the app's, not open an
    empty one of its own (every profile would be a 404)."""
    from surveys.extensions import db
    from surveys.services import api_clients

    memory = make_app(SQLALCHEMY_BINDS={"answers": "sqlite://", "identity": "sqlite://"})
    with memory.app_context():
        made = api_clients.create(db.session, "recs", ["profiles:read"], datetime.now(UTC))
        db.session.commit()
    missing = memory.test_client().get(
        PROFILE.format("nobody"), headers={"Authorization": f"Bearer {made.token}"}
    )
    assert missing.status_code == 404  # the token was found: the client row is visible
    assert missing.mimetype == "application/problem+json"
