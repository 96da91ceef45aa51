"""``flask webhooks ...``: the worker that drains the webhook outbox."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from surveys.extensions import db
from surveys.services import webhooks
from surveys.services.webhooks import Outcome

webhooks_group = AppGroup("webhooks", help="Push change events to clients' webhooks.")


def drain(settings: webhooks.Settings) -> Counter[Outcome]:
    """Try once every delivery that is due now, each in its own transaction."""
    outcomes: Counter[Outcome] = Counter()
    tried: set[uuid.UUID] = set()
    while True:
        now = datetime.now(UTC)
        delivery = webhooks.next_due(db.session, now, skip=tried)
        if delivery is None:
            db.session.rollback()
            return outcomes
        tried.add(delivery.id)
        outcomes[webhooks.attempt(db.session, delivery, now, settings)] += 1
        db.session.commit()


@webhooks_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between looks at the outbox when it is empty.",
)
def run(once: bool, interval: float) -> None:
    """Send due events, retrying failures with exponential backoff (Ctrl-C to stop)."""
    settings = webhooks.Settings.from_config(current_app.config)
    try:
        while True:
            outcomes = drain(settings)
            if once:
                click.echo(
                    f"Delivered {outcomes[Outcome.DELIVERED]}, "
                    f"to retry {outcomes[Outcome.RETRY]}, "
                    f"given up {outcomes[Outcome.FAILED]}."
                )
                return
            if not outcomes:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@webhooks_group.command("status")
def status() -> None:
    """Per client with a webhook: deliveries waiting, and deliveries given up on."""
    rows = webhooks.backlog(db.session)
    if not rows:
        click.echo("No client has a webhook.")
        return
    for row in rows:
        click.echo(
            f"{row.name:<24} pending={row.pending:<6} failed={row.failed:<6} {row.webhook_url}"
        )
