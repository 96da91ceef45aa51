"""``flask retention purge``: delete what the service no longer needs to keep."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from surveys import clock
from surveys.extensions import db
from surveys.services import retention

retention_group = AppGroup("retention", help="Delete data that has outlived its use.")


@retention_group.command("purge")
def purge() -> None:
    """Delete used token ids, ended sessions, old profile-read log entries and webhook
    deliveries given up on long ago.

    Profile reads older than PROFILE_READ_RETENTION_DAYS go; failed deliveries older than
    FAILED_WEBHOOK_RETENTION_DAYS. Old anonymous answers (ANSWER_RETENTION_DAYS) and expired
    "Not now"s are deleted by the nightly `flask answers settle`. Consent records are kept as
    proof. Safe to run again.
    """
    periods = retention.Periods.from_config(current_app.config)  # as /privacy states them
    read_days = periods.profile_read_days
    failed_days = periods.failed_webhook_days
    purged = retention.purge(
        db.session, clock.now(), read_log_days=read_days, failed_delivery_days=failed_days
    )
    db.session.commit()
    click.echo(f"Expired used shop token ids deleted: {purged.used_tokens}")
    click.echo(f"Ended sign-in sessions deleted: {purged.sessions}")
    click.echo(f"Profile reads logged over {read_days} days ago deleted: {purged.profile_reads}")
    click.echo(
        f"Webhook deliveries failed over {failed_days} days ago deleted: {purged.failed_deliveries}"
    )
    click.echo(
        f"Anonymous answers unchanged for over {periods.answer_days} days and "
        "expired “Not now”s are deleted by the nightly `flask answers settle`."
    )
    click.echo("Consent records are kept as proof of what was agreed.")
