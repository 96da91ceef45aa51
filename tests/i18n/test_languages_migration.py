"""0009_languages on stores that already hold surveys and consents: every survey is English
only, every earlier consent record was made on the English notice; and back down again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Uuid, column, insert, inspect, table, text

from surveys.extensions import db
from surveys.models.identity import UtcDateTime
from tests.consent.test_consent_migration import unmigrated_app


def test_existing_surveys_and_consents_get_english(make_app):
    app = unmigrated_app(make_app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0008_client_display_names"]).exit_code == 0
    # The tables as 0008 left them (typed, so each dialect binds its own UUIDs and JSON).
    surveys = table(
        "surveys", column("id", Uuid), column("slug"), column("title"), column("intro"),
        column("questions", JSON), column("active", Boolean),
    )  # fmt: skip
    records = table(
        "consent_records", column("id", Uuid), column("receipt_id", Uuid), column("subject"),
        column("purpose"), column("attributes", JSON), column("notice_version"),
        column("given_at", UtcDateTime()), column("method"), column("status"),
    )  # fmt: skip
    with app.app_context():
        with db.engines["answers"].begin() as answers:
            answers.execute(
                insert(surveys).values(
                    id=uuid.uuid4(), slug="about-you", title="About you", intro="",
                    questions=["gender"], active=True,
                )
            )  # fmt: skip
        with db.engines["identity"].begin() as identity:
            identity.execute(
                insert(records).values(
                    id=uuid.uuid4(), receipt_id=uuid.uuid4(), subject="cust-1",
                    purpose="personalisation", attributes=["state"],
                    notice_version="2026-11-v1", given_at=datetime.now(UTC),
                    method="privacy-page", status="given",
                )
            )  # fmt: skip
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engines["answers"].connect() as answers:
            stored = answers.execute(text("SELECT translations FROM surveys")).scalar_one()
        with db.engines["identity"].connect() as identity:
            language = identity.execute(
                text("SELECT notice_language FROM consent_records")
            ).scalar_one()
    assert stored in ({}, "{}") and language == "en"

    down = runner.invoke(args=["db", "downgrade", "0008_client_display_names"])
    assert down.exit_code == 0, down.output
    with app.app_context():
        columns = {
            c["name"] for c in inspect(db.engines["identity"]).get_columns("consent_records")
        }
        assert "notice_language" not in columns
        survey_columns = {c["name"] for c in inspect(db.engines["answers"]).get_columns("surveys")}
        assert "translations" not in survey_columns
