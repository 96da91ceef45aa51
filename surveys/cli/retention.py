"""``flask retention purge``: delete what the service no longer needs to keep."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from surveys import clock
from surveys.extensions import db
from surveys.services import retention
from surveys.services.consent import cipher_for

retention_group = AppGroup("retention", help="Delete data that has outlived its use.")


@retention_group.command("purge")
def purge() -> None:
    """Delete old anonymous answers, expired "Not now"s, used token ids and ended sessions.

    Answers older than ANSWER_RETENTION_DAYS (by their last change) go unless an active
    consent links them. Consent records are kept as proof. Safe to run again.
    """
    days = current_app.config["ANSWER_RETENTION_DAYS"]
    purged = retention.purge(
        db.session,
        clock.today(),
        clock.now(),
        days,
        cipher_for(current_app.config["LINK_ENCRYPTION_KEY"]),
    )
    db.session.commit()
    click.echo(f"Anonymous answers unchanged for over {days} days deleted: {purged.answers}")
    click.echo(f"Expired “Not now” records deleted: {purged.dismissals}")
    click.echo(f"Expired used shop token ids deleted: {purged.used_tokens}")
    click.echo(f"Ended sign-in sessions deleted: {purged.sessions}")
    click.echo("Consent records are kept as proof of what was agreed.")
